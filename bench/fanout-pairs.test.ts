/**
 * The fan-out benchmark's pairing: each relay run is compared with the bare runs right around it
 * (not the round's best, which drifts by half between minutes), the warm-up is never in a ratio,
 * and a verdict needs the whole 95 % interval on one side of the target.
 */
import { describe, expect, it } from 'vitest';
import { pairs, summarize, verdict } from './fanout-pairs.ts';
import { roundSteps, warmupSteps, type RelayConfig } from './fanout-plan.ts';
import type { Row } from './fanout-runs.ts';

function row(who: string, round: number, max: number, variant: Row['variant'] = 'baseline'): Row {
  return {
    who,
    proto: 'ours',
    n: 500,
    payload: '5mb',
    variant,
    round,
    connectMs: 1,
    uploadMs: null,
    acceptMs: null,
    first: max,
    p50: max,
    p95: max,
    max,
    userMs: max,
    delivered: 500,
    serverCpuMs: 1,
    serverSysMs: 0,
    serverLoopMs: null,
    serverThreads: '',
    revocations: null,
    tcp: null,
    readerCpuMs: 0,
    readerSysMs: 0,
    readerReads: 0,
    readerReadBytes: 0,
    announcedAll: null,
    firstByteAll: null,
  };
}

describe('fan-out pairs', () => {
  it('divides each relay run by the mean of the bare runs just before and after it', () => {
    const rows = [
      row('bare all', 0, 500), // warm-up: faster than anything, never a baseline of round 1
      row('ours', 0, 900, 'plain'),
      row('bare all', 1, 1000),
      row('ours', 1, 1500, 'plain'),
      row('bare all', 1, 2000),
      row('ours', 1, 2200, 'sloth'),
      row('bare all', 1, 2400),
    ];
    const got = pairs(rows);
    expect(got.map((p) => [p.row.variant, p.bareMs, p.ratio])).toEqual([
      ['plain', 1500, 1],
      ['sloth', 2200, 1],
    ]);
  });

  it('takes the least of the bare modes, each averaged over before and after', () => {
    const rows = [
      row('bare all', 1, 1000),
      row('bare 1 at a time', 1, 1400),
      row('ours', 1, 1100, 'plain'),
      row('bare all', 1, 1400),
      row('bare 1 at a time', 1, 600),
    ];
    const [p] = pairs(rows);
    expect(p!.bareMs).toBe(1000);
    expect([p!.bareBefore, p!.bareAfter]).toEqual([1400, 600]);
  });

  it('needs the whole interval under the target to say met', () => {
    const tight = summarize([0.97, 0.98, 0.99, 0.98, 0.97, 0.99])!;
    expect(tight.median).toBeCloseTo(0.98);
    expect(verdict(tight, 1.0)).toBe('met');
    const wide = summarize([0.7, 1.3, 0.9, 1.2])!;
    expect(verdict(wide, 1.0)).toBe('undecided');
    expect(verdict(summarize([1.2, 1.25, 1.22])!, 1.05)).toBe('not met');
    expect(verdict(summarize([0.9])!, 1.0)).toBe('undecided');
  });
});

describe('fan-out plan', () => {
  const configs: RelayConfig[] = [
    { proto: 'ours', variant: 'plain' },
    { proto: 'ours', variant: 'sloth' },
  ];
  const all = { kind: 'all' } as const;

  it('puts a bare block before the first relay run and after every one', () => {
    const kinds = roundSteps(1, ['ours'], [all], configs).map((s) =>
      s.kind === 'bare' ? 'B' : s.config.variant,
    );
    expect(kinds).toEqual(['B', 'plain', 'B', 'sloth', 'B']);
  });

  it('rotates the relay runs from round to round', () => {
    const order = (round: number) =>
      roundSteps(round, ['ours'], [all], configs).flatMap((s) =>
        s.kind === 'relay' ? [s.config.variant] : [],
      );
    expect(order(1)).toEqual(['plain', 'sloth']);
    expect(order(2)).toEqual(['sloth', 'plain']);
  });

  it('warms up every bare mode and every relay run', () => {
    const steps = warmupSteps(['ours'], [all, { kind: 'pool', size: 1 }], configs);
    expect(steps.filter((s) => s.kind === 'bare')).toHaveLength(2);
    expect(steps.filter((s) => s.kind === 'relay')).toHaveLength(2);
  });
});
