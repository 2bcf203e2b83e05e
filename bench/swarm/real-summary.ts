/**
 * The swarm benchmark's summary of its real runs: one line per relay limit × N × patch, over every
 * run — the relay-only and swarm times, the swarm ÷ relay-only ratio of each run (marked with which
 * mode ran first) and their median, their order-balanced geometric mean ({@link balancedRatio}), the
 * medians of the runs where the swarm ran first and where it ran second (an order bias shows as a gap
 * between the two), the CPU ratios (relay and players; the relay's process alone) and the load.
 */
import { geometricMean, median } from '../stats.ts';
import type { RealRow } from './real.ts';

/** One line of the summary. */
export interface SummaryLine {
  readonly limit: number | null;
  readonly n: number;
  readonly sizeBytes: number;
  /** Slowest player's publish → applied, each run, ms. */
  readonly relayOnly: readonly number[];
  readonly swarm: readonly number[];
  /** Swarm ÷ relay-only (slowest player) of each run, and whether the swarm ran first in it. */
  readonly ratios: readonly { readonly ratio: number; readonly swarmFirst: boolean }[];
  /** CPU of the relay and players, swarm ÷ relay-only, each run; and of the relay's process alone. */
  readonly cpuRatios: readonly number[];
  readonly relayCpuRatios: readonly number[];
  readonly loads: readonly number[];
}

/**
 * The ratio with the order's bias taken out: the geometric mean of the runs where the swarm ran first
 * and that of the runs where it ran second, averaged geometrically. If going first makes a run f
 * times slower, whichever the mode, the first are r·f and the second r / f: this gives r, where the
 * median of four (two of each) lands anywhere between. All runs' geometric mean when one order is
 * missing.
 */
export function balancedRatio(ratios: SummaryLine['ratios']): number {
  const first = ratios.filter((r) => r.swarmFirst).map((r) => r.ratio);
  const second = ratios.filter((r) => !r.swarmFirst).map((r) => r.ratio);
  if (first.length === 0 || second.length === 0) return geometricMean(ratios.map((r) => r.ratio));
  return Math.sqrt(geometricMean(first) * geometricMean(second));
}

/** Pairs each swarm row with its relay-only row of the same run, limit, N and patch. */
export function summarize(rows: readonly RealRow[]): SummaryLine[] {
  const lines = new Map<string, SummaryLine>();
  for (const row of rows) {
    if (row.mode !== 'swarm') continue;
    const base = rows.find(
      (b) =>
        b.mode === 'relay only' &&
        b.run === row.run &&
        b.limit === row.limit &&
        b.n === row.n &&
        b.askedBytes === row.askedBytes,
    );
    if (!base) continue;
    // By the size asked for: each run's PNG (random pixels, new each run) is a little off it.
    const key = `${row.limit}:${row.n}:${row.askedBytes}`;
    const line: SummaryLine = lines.get(key) ?? {
      limit: row.limit,
      n: row.n,
      sizeBytes: row.sizeBytes,
      relayOnly: [],
      swarm: [],
      ratios: [],
      cpuRatios: [],
      relayCpuRatios: [],
      loads: [],
    };
    lines.set(key, {
      ...line,
      relayOnly: [...line.relayOnly, base.max],
      swarm: [...line.swarm, row.max],
      ratios: [...line.ratios, { ratio: row.max / base.max, swarmFirst: row.order === 1 }],
      cpuRatios: [...line.cpuRatios, row.cpuMs / base.cpuMs],
      relayCpuRatios: [...line.relayCpuRatios, row.relayCpuMs / base.relayCpuMs],
      loads: [...line.loads, base.load, row.load],
    });
  }
  return [...lines.values()];
}

const ms = (t: number): string =>
  Number.isFinite(t) ? (t >= 1000 ? `${(t / 1000).toFixed(2)} s` : `${Math.round(t)} ms`) : '—';
const x = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '—');
const range = (values: readonly number[], show: (v: number) => string): string =>
  values.length === 0 ? '—' : `${show(Math.min(...values))}–${show(Math.max(...values))}`;
const rate = (limit: number | null): string =>
  limit === null ? 'none' : `${Math.round((limit * 8) / 1e6)} Mbit/s`;

/** Prints the summary table (nothing when no swarm row has a baseline). */
export function printRealSummary(rows: readonly RealRow[]): void {
  const lines = summarize(rows);
  if (lines.length === 0) return;
  console.log(
    '\nSummary over the runs: slowest player, swarm ÷ relay only of the same run (S: the swarm ran first, R: relay only first)\n',
  );
  console.log(
    '| relay limit | N | patch | relay only | swarm | swarm ÷ relay only: median (runs) | order-balanced geometric mean | median, swarm first | median, relay only first | CPU, swarm ÷ relay only | relay process CPU, swarm ÷ relay only | load |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const l of lines) {
    const ratios = l.ratios.map((r) => r.ratio);
    const runs = l.ratios.map((r) => `${r.ratio.toFixed(2)} ${r.swarmFirst ? 'S' : 'R'}`).join(', ');
    const first = median(l.ratios.filter((r) => r.swarmFirst).map((r) => r.ratio));
    const second = median(l.ratios.filter((r) => !r.swarmFirst).map((r) => r.ratio));
    console.log(
      `| ${rate(l.limit)} | ${l.n} | ${(l.sizeBytes / (1 << 20)).toFixed(2)} MB | ${range(l.relayOnly, ms)} | ${range(l.swarm, ms)} | ` +
        `**${x(median(ratios))}** (${runs}) | **${x(balancedRatio(l.ratios))}** | ${x(first)} | ${x(second)} | ${range(l.cpuRatios, x)} | ${range(l.relayCpuRatios, x)} | ${range(l.loads, (v) => v.toFixed(1))} |`,
    );
  }
}
