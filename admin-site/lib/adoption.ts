/**
 * What the dashboard computes from roster messages: who holds which release, how the newest release
 * spreads over time, failures per release, and how much of the bytes came from peers. Pure functions
 * and small classes, no DOM: the dashboard page draws what these return.
 */
import * as v from 'valibot';
import type { Roster, RosterClient } from '../../protocol/messages.ts';

/** Clients that play (admin dashboards and tools watching the room are not players). */
export function playersOf(clients: readonly RosterClient[]): RosterClient[] {
  return clients.filter((c) => c.role === 'player');
}

/** One release as seen in the roster. */
export interface SeqRow {
  readonly seq: number;
  readonly players: number;
  readonly bytesFromRelay: number;
  readonly bytesFromPeers: number;
  /** bytesFromPeers / (bytesFromPeers + bytesFromRelay); null when nothing was fetched yet. */
  readonly offload: number | null;
}

/** A roster, summed up. */
export interface RosterSummary {
  /** The relay's newest seq for the room. */
  readonly latestSeq: number;
  readonly players: number;
  readonly onLatest: number;
  /** Share of players on the newest release (0–1); null when nobody plays. */
  readonly adoption: number | null;
  /** Players per seq, newest first. */
  readonly bySeq: readonly SeqRow[];
  /** Per slot: version label → number of players that hold it. */
  readonly bySlotVersion: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** Offload ratio of a pair of byte counts, null when both are 0. */
export function offloadRatio(fromPeers: number, fromRelay: number): number | null {
  const total = fromPeers + fromRelay;
  return total === 0 ? null : fromPeers / total;
}

/** Sums up a roster message. */
export function summarize(roster: Pick<Roster, 'seq' | 'clients'>): RosterSummary {
  const players = playersOf(roster.clients);
  const seqs = new Map<number, { players: number; relay: number; peers: number }>();
  const versions = new Map<string, Map<string, number>>();
  for (const p of players) {
    const row = seqs.get(p.seq) ?? { players: 0, relay: 0, peers: 0 };
    row.players++;
    row.relay += p.traffic.bytesFromRelay;
    row.peers += p.traffic.bytesFromPeers;
    seqs.set(p.seq, row);
    for (const [slot, held] of Object.entries(p.slots)) {
      if (held.status === 'skipped') continue;
      // A failed slot says so, and what runs instead: it never vanishes from the counts.
      const label =
        held.status === 'applied'
          ? held.version
          : `${held.version} failed (runs ${held.running === undefined ? '?' : (held.running?.version ?? 'built-in')})`;
      const perSlot = versions.get(slot) ?? new Map<string, number>();
      perSlot.set(label, (perSlot.get(label) ?? 0) + 1);
      versions.set(slot, perSlot);
    }
  }
  // On the newest release, and no slot failed (the relay's counts, which the dashboard prefers,
  // also tell a skip outside a rollout from a slot not meant for players).
  const onLatest = players.filter(
    (p) => p.seq >= roster.seq && Object.values(p.slots).every((s) => s.status !== 'failed'),
  ).length;
  return {
    latestSeq: roster.seq,
    players: players.length,
    onLatest,
    adoption: players.length === 0 ? null : onLatest / players.length,
    bySeq: [...seqs]
      .sort(([a], [b]) => b - a)
      .map(([seq, r]) => ({
        seq,
        players: r.players,
        bytesFromRelay: r.relay,
        bytesFromPeers: r.peers,
        offload: offloadRatio(r.peers, r.relay),
      })),
    bySlotVersion: versions,
  };
}

/** A failure of one client to apply one slot of one release. */
export interface Failure {
  readonly clientId: string;
  readonly platform: string;
  readonly seq: number;
  readonly slot: string;
  readonly version: string;
  readonly error: string;
}

/**
 * Failures seen since the dashboard opened. The roster shows only each client's current state, so a
 * failure that a later release fixed would vanish; this keeps them, grouped by release.
 */
export class FailureLog {
  private readonly seen = new Map<string, Failure>();

  /** Records the failures in a roster; returns true when there was a new one. */
  record(clients: readonly RosterClient[]): boolean {
    let added = false;
    for (const c of clients) {
      for (const [slot, s] of Object.entries(c.slots)) {
        if (s.status !== 'failed') continue;
        const key = `${c.clientId}\u0000${s.seq}\u0000${slot}`;
        if (this.seen.has(key)) continue;
        this.seen.set(key, {
          clientId: c.clientId,
          platform: c.platform,
          seq: s.seq,
          slot,
          version: s.version,
          error: s.error ?? '(no error text)',
        });
        added = true;
      }
    }
    return added;
  }

  /** Failures grouped by release seq, newest first. */
  byRelease(): { seq: number; failures: Failure[] }[] {
    const groups = new Map<number, Failure[]>();
    for (const f of this.seen.values()) groups.set(f.seq, [...(groups.get(f.seq) ?? []), f]);
    return [...groups].sort(([a], [b]) => b - a).map(([seq, failures]) => ({ seq, failures }));
  }

  /** Number of failures recorded. */
  get size(): number {
    return this.seen.size;
  }
}

const finite = v.pipe(v.number(), v.finite());
const StoredRowsSchema = v.pipe(
  v.array(
    v.tuple([
      finite,
      v.nullable(v.pipe(finite, v.minValue(0), v.maxValue(100))),
      v.nullable(v.pipe(finite, v.minValue(0))),
      v.pipe(finite, v.minValue(0)),
    ]),
  ),
  v.check((rows) => rows.every((r, i) => i === 0 || (rows[i - 1]?.[0] ?? 0) <= r[0]), 'samples out of order'),
);

/** uPlot's data layout: x values (Unix seconds), then one array per series. */
export type ChartData = [number[], (number | null)[], (number | null)[]];

/**
 * Adoption over time: one sample per roster message (percentage of players on the newest release, and
 * the number of players). Bounded: the oldest samples go first.
 */
export class AdoptionSeries {
  readonly times: number[] = [];
  readonly percent: (number | null)[] = [];
  readonly players: (number | null)[] = [];
  readonly latestSeqs: number[] = [];

  constructor(private readonly limit = 5000) {}

  /** Adds a sample taken at `atMs`. */
  add(atMs: number, summary: RosterSummary): void {
    const t = atMs / 1000;
    const last = this.times.length - 1;
    // Two rosters in the same millisecond: keep the later one.
    if (last >= 0 && this.times[last] === t) this.drop(last);
    this.times.push(t);
    this.percent.push(summary.adoption === null ? null : Math.round(summary.adoption * 1000) / 10);
    this.players.push(summary.players);
    this.latestSeqs.push(summary.latestSeq);
    while (this.times.length > this.limit) this.drop(0);
  }

  private drop(i: number): void {
    this.times.splice(i, 1);
    this.percent.splice(i, 1);
    this.players.splice(i, 1);
    this.latestSeqs.splice(i, 1);
  }

  /** The samples as `[unix seconds, percent | null, players, latest seq]` rows, for storage. */
  toRows(): [number, number | null, number | null, number][] {
    return this.times.map((t, i) => [
      t,
      this.percent[i] ?? null,
      this.players[i] ?? null,
      this.latestSeqs[i] ?? 0,
    ]);
  }

  /** A series from stored rows; rows that don't parse are dropped (storage is outside input). */
  static fromRows(rows: unknown, limit = 5000): AdoptionSeries {
    const series = new AdoptionSeries(limit);
    const parsed = v.safeParse(StoredRowsSchema, rows);
    if (!parsed.success) return series;
    for (const [t, pct, players, seq] of parsed.output.slice(-limit)) {
      series.times.push(t);
      series.percent.push(pct);
      series.players.push(players);
      series.latestSeqs.push(seq);
    }
    return series;
  }

  /** The samples in uPlot's layout. */
  data(): ChartData {
    return [this.times, this.percent, this.players];
  }

  /** Number of samples. */
  get length(): number {
    return this.times.length;
  }
}
