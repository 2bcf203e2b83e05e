// The swarm benchmark's fairness: relay-only and swarm runs alternate their order (so a bias of the
// first or second run of a pair falls on both modes), and the summary pairs each swarm run with the
// relay-only run of the same run and N and shows the ratio per order.
import { describe, expect, it } from 'vitest';
import type { RealRow } from './real.ts';
import { swarmFirst } from './real.ts';
import { geometricMean, median } from '../stats.ts';
import { balancedRatio, summarize } from './real-summary.ts';

function row(
  run: number,
  n: number,
  mode: RealRow['mode'],
  order: 1 | 2,
  max: number,
  cpuMs: number,
): RealRow {
  return {
    run,
    limit: null,
    n,
    askedBytes: 1 << 20,
    sizeBytes: (1 << 20) + run * 40_000,
    mode,
    order,
    applied: n,
    p50: max / 2,
    p95: max,
    max,
    relayBytes: n << 20,
    relayWireBytes: n << 20,
    peerBytes: 0,
    cpuMs,
    relayCpuMs: cpuMs / 2,
    load: 1,
    linksBefore: 0,
    linksAfter: 0,
    linkP50: NaN,
    linkMax: NaN,
    served: { alone: 0, starved: 0, room: 0, first: 0, trickle: 0, deferred: 0 },
    swarm: {
      messagesToPeers: 0,
      messagesFromPeers: 0,
      chunksFromPeers: 0,
      peerTimeouts: 0,
      peerRefusals: 0,
      peersDropped: 0,
      idleMs: 0,
    },
    threads: [],
  };
}

describe('swarm benchmark order and summary', () => {
  it('alternates which mode runs first, from one N to the next and for each N from run to run', () => {
    const ns = [10, 30, 50];
    for (const [pair] of ns.entries()) {
      const orders = [1, 2, 3, 4].map((run) => swarmFirst(run, pair));
      // Each N: the swarm first in two of four runs, never twice in a row.
      expect(orders.filter(Boolean)).toHaveLength(2);
      for (let i = 1; i < orders.length; i++) expect(orders[i]).not.toBe(orders[i - 1]);
    }
    // Within one run, neighbouring Ns take opposite orders.
    expect(ns.map((_, pair) => swarmFirst(1, pair))).toEqual([false, true, false]);
  });

  it('pairs each swarm run with its relay-only run and gives the medians per order', () => {
    const rows = [
      row(1, 30, 'relay only', 1, 400, 1000),
      row(1, 30, 'swarm', 2, 500, 1200),
      row(2, 30, 'swarm', 1, 380, 900),
      row(2, 30, 'relay only', 2, 400, 1000),
      row(3, 30, 'relay only', 1, 500, 1000),
      row(3, 30, 'swarm', 2, 550, 1000),
      row(1, 10, 'relay only', 1, 200, 300),
    ];
    const [line, ...rest] = summarize(rows);
    expect(rest).toEqual([]); // N = 10 has no swarm run
    expect(line).toMatchObject({ n: 30, relayOnly: [400, 400, 500], swarm: [500, 380, 550] });
    expect(line!.ratios).toEqual([
      { ratio: 1.25, swarmFirst: false },
      { ratio: 0.95, swarmFirst: true },
      { ratio: 1.1, swarmFirst: false },
    ]);
    expect(median(line!.ratios.map((r) => r.ratio))).toBeCloseTo(1.1);
    expect(median([1.25, 1.1])).toBeCloseTo(1.175);
    expect(line!.cpuRatios).toEqual([1.2, 0.9, 1]);
    expect(line!.relayCpuRatios).toEqual([1.2, 0.9, 1]);
  });

  it('takes a bias of going first out of the ratio, where the median of four does not', () => {
    // The swarm 5 % slower than relay only, and whichever runs first 1.4 times slower (ABBA).
    const r = 1.05;
    const f = 1.4;
    const ratios = [
      { ratio: r / f, swarmFirst: false },
      { ratio: r * f, swarmFirst: true },
      { ratio: r / f, swarmFirst: false },
      { ratio: r * f, swarmFirst: true },
    ];
    expect(balancedRatio(ratios)).toBeCloseTo(r, 10);
    expect(median(ratios.map((x) => x.ratio))).toBeCloseTo((r / f + r * f) / 2, 10); // 1.11
    // Unequal counts of each order still weigh the two orders alike.
    expect(balancedRatio([...ratios, { ratio: r * f, swarmFirst: true }])).toBeCloseTo(r, 10);
    // One order only: the plain geometric mean.
    expect(
      balancedRatio([
        { ratio: 2, swarmFirst: true },
        { ratio: 0.5, swarmFirst: true },
      ]),
    ).toBeCloseTo(1);
    expect(geometricMean([])).toBeNaN();
  });
});
