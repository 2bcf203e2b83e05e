/**
 * The fan-out benchmark's paired ratios: each relay run against the bare runs just before and just
 * after it (ABA, `fanout-plan.ts`), and per relay configuration the median of those paired ratios
 * with a 95 % confidence interval — what tells 1.00× from 1.05× when the seconds themselves move by
 * half between minutes.
 */
import type { Row } from './fanout-runs.ts';
import { median } from './stats.ts';

/** A relay run with its paired baseline. */
export interface Pair {
  readonly row: Row;
  /** The bare time it is compared with: per bare mode the mean of the run before and after, the least. */
  readonly bareMs: number;
  /** The bare runs it came from: `before / after` of the mode that was least. */
  readonly bareBefore: number | null;
  readonly bareAfter: number | null;
  /** Fan-out (accepted → last byte at the last client) ÷ `bareMs`. */
  readonly ratio: number;
}

const sameCell = (a: Row, b: Row) =>
  a.round === b.round && a.n === b.n && a.payload === b.payload && a.proto === b.proto;

/**
 * Pairs every delivered relay run of a measured round (≥ 1) with the nearest bare run of each mode
 * before it and after it in `rows` (which are in the order they ran). A bare run that did not
 * deliver to everyone is no baseline.
 */
export function pairs(rows: readonly Row[]): Pair[] {
  const out: Pair[] = [];
  rows.forEach((row, i) => {
    if (row.variant === 'baseline' || row.round < 1 || row.max === null || row.delivered < row.n) return;
    const usable = (r: Row) =>
      r.variant === 'baseline' && sameCell(r, row) && r.max !== null && r.delivered === r.n;
    const before = new Map<string, number>();
    const after = new Map<string, number>();
    for (let j = i - 1; j >= 0; j--) {
      const r = rows[j]!;
      if (usable(r) && !before.has(r.who)) before.set(r.who, r.max!);
    }
    for (let j = i + 1; j < rows.length; j++) {
      const r = rows[j]!;
      if (usable(r) && !after.has(r.who)) after.set(r.who, r.max!);
    }
    let best: Omit<Pair, 'row' | 'ratio'> | null = null;
    for (const who of new Set([...before.keys(), ...after.keys()])) {
      const b = before.get(who) ?? null;
      const a = after.get(who) ?? null;
      const mean = b !== null && a !== null ? (a + b) / 2 : (b ?? a)!;
      if (best === null || mean < best.bareMs) best = { bareMs: mean, bareBefore: b, bareAfter: a };
    }
    if (best !== null && best.bareMs > 0) out.push({ row, ...best, ratio: row.max / best.bareMs });
  });
  return out;
}

/** Student's t for a two-sided 95 % interval, by degrees of freedom (1–30; beyond, 2.0). */
const T95 = [
  12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.2, 2.18, 2.16, 2.14, 2.13, 2.12, 2.11, 2.1,
  2.09, 2.09, 2.08, 2.07, 2.07, 2.06, 2.06, 2.06, 2.05, 2.05, 2.05, 2.04,
];

/** What a set of paired ratios says. */
export interface RatioSummary {
  readonly count: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** The geometric mean, and its 95 % interval (t over the logs); null bounds below two pairs. */
  readonly geoMean: number;
  readonly low: number | null;
  readonly high: number | null;
}

/** Median, range, and geometric mean with a 95 % interval of `ratios` (none: null). */
export function summarize(ratios: readonly number[]): RatioSummary | null {
  if (ratios.length === 0) return null;
  const s = [...ratios].sort((a, b) => a - b);
  const logs = s.map(Math.log);
  const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
  let low: number | null = null;
  let high: number | null = null;
  if (logs.length >= 2) {
    const sd = Math.sqrt(logs.reduce((a, l) => a + (l - mean) ** 2, 0) / (logs.length - 1));
    const half = (T95[logs.length - 2] ?? 2.0) * (sd / Math.sqrt(logs.length));
    low = Math.exp(mean - half);
    high = Math.exp(mean + half);
  }
  return {
    count: s.length,
    median: median(s),
    min: s[0]!,
    max: s.at(-1)!,
    geoMean: Math.exp(mean),
    low,
    high,
  };
}

/**
 * Against a target ratio: `met` when the whole interval is at or under it, `not met` when the whole
 * interval is over it, else `undecided` (more rounds, or a quieter machine).
 */
export function verdict(s: RatioSummary, target: number): 'met' | 'not met' | 'undecided' {
  if (s.low === null || s.high === null) return 'undecided';
  if (s.high <= target) return 'met';
  if (s.low > target) return 'not met';
  return 'undecided';
}
