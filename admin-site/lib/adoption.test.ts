import { describe, expect, it } from 'vitest';
import type { RosterClient } from '../../protocol/messages.ts';
import { AdoptionSeries, FailureLog, offloadRatio, summarize } from './adoption.ts';

const T = '2026-11-23T12:00:00.000Z';
function client(id: string, seq: number, extra: Partial<RosterClient> = {}): RosterClient {
  return {
    clientId: id,
    room: 'demo',
    role: 'player',
    transport: 'ws',
    platform: 'Chrome',
    address: '127.0.0.1',
    connectedAt: T,
    lastHeartbeat: T,
    seq,
    slots: { logic: { version: `v${seq}`, seq, status: 'applied' } },
    traffic: { bytesFromRelay: 100, bytesFromPeers: 0, peers: 0 },
    ...extra,
  };
}

describe('summarize', () => {
  it('counts players per release and per slot version, leaving admins out', () => {
    const s = summarize({
      seq: 3,
      clients: [
        client('a', 3),
        client('b', 3, { traffic: { bytesFromRelay: 100, bytesFromPeers: 300, peers: 2 } }),
        client('c', 2),
        client('admin-1', 0, { role: 'admin', slots: {} }),
      ],
    });
    expect(s.players).toBe(3);
    expect(s.onLatest).toBe(2);
    expect(s.adoption).toBeCloseTo(2 / 3);
    expect(s.bySeq.map((r) => [r.seq, r.players])).toEqual([
      [3, 2],
      [2, 1],
    ]);
    expect(s.bySeq[0]?.offload).toBeCloseTo(300 / 500);
    expect(s.bySlotVersion.get('logic')).toEqual(
      new Map([
        ['v3', 2],
        ['v2', 1],
      ]),
    );
  });

  it('has no adoption figure without players', () => {
    expect(summarize({ seq: 1, clients: [] }).adoption).toBeNull();
    expect(offloadRatio(0, 0)).toBeNull();
  });
});

describe('FailureLog', () => {
  it('keeps each failure once, grouped by release, even after the client moves on', () => {
    const log = new FailureLog();
    const failed = client('a', 4, {
      slots: { logic: { version: 'v4', seq: 4, status: 'failed', error: 'boom' } },
    });
    expect(log.record([failed])).toBe(true);
    expect(log.record([failed])).toBe(false);
    log.record([client('a', 5)]);
    expect(log.size).toBe(1);
    expect(log.byRelease()).toEqual([
      {
        seq: 4,
        failures: [
          { clientId: 'a', platform: 'Chrome', seq: 4, slot: 'logic', version: 'v4', error: 'boom' },
        ],
      },
    ]);
  });
});

describe('AdoptionSeries', () => {
  it('samples percentages in uPlot layout and stays bounded', () => {
    const series = new AdoptionSeries(3);
    for (let i = 0; i < 5; i++)
      series.add(1000 * (i + 1), summarize({ seq: 2, clients: [client('a', i % 2 ? 2 : 1)] }));
    expect(series.length).toBe(3);
    const [x, pct, n] = series.data();
    expect(x).toEqual([3, 4, 5]);
    expect(pct).toEqual([0, 100, 0]);
    expect(n).toEqual([1, 1, 1]);
  });
});

describe('AdoptionSeries storage', () => {
  it('round-trips through rows and drops junk', () => {
    const series = new AdoptionSeries();
    series.add(1000, summarize({ seq: 1, clients: [client('a', 1)] }));
    series.add(2000, summarize({ seq: 2, clients: [client('a', 1)] }));
    const back = AdoptionSeries.fromRows(JSON.parse(JSON.stringify(series.toRows())));
    expect(back.data()).toEqual(series.data());
    expect(back.latestSeqs).toEqual([1, 2]);
    expect(AdoptionSeries.fromRows([[1, 'x', 1, 1]]).length).toBe(0);
    expect(AdoptionSeries.fromRows({ not: 'rows' }).length).toBe(0);
    expect(
      AdoptionSeries.fromRows([
        [2, 50, 1, 1],
        [1, 50, 1, 1],
      ]).length,
    ).toBe(0);
  });
});
