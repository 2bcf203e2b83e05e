/**
 * The fan-out benchmark's tables: every run with its ratio to the best bare baseline of the same
 * round (same N, payload and protocol bytes, measured minutes apart at most), and a summary of the
 * rounds — the median ratio with its range, because on a shared machine the seconds move between
 * rounds while the ratios move much less.
 */
import type { Row } from './fanout-runs.ts';

const f = (ms: number | null) =>
  ms === null ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
const x = (r: number | null) => (r === null ? '' : `${r.toFixed(2)}×`);

const bareKey = (r: Row) => `${r.round}:${r.n}:${r.payload}:${r.proto}`;

/** The best bare time to the last client, per round, N, payload and protocol. */
function bestBare(rows: readonly Row[]): Map<string, number> {
  const best = new Map<string, number>();
  for (const r of rows) {
    if (r.variant !== 'baseline' || r.max === null || r.delivered < r.n) continue;
    best.set(bareKey(r), Math.min(best.get(bareKey(r)) ?? Infinity, r.max));
  }
  return best;
}

/** The least CPU a bare server spent writing the same bytes, per round, N, payload and protocol. */
function leastBareCpu(rows: readonly Row[]): Map<string, number> {
  const least = new Map<string, number>();
  for (const r of rows) {
    if (r.variant !== 'baseline' || r.delivered < r.n) continue;
    least.set(bareKey(r), Math.min(least.get(bareKey(r)) ?? Infinity, r.serverCpuMs));
  }
  return least;
}

/**
 * A relay row's ratios: fan-out (accepted → all) and what the user sees (first request → all), to
 * the best bare time; and the server's CPU to the least a bare server spent on the same bytes.
 */
export function ratios(
  row: Row,
  best: ReadonlyMap<string, number>,
  leastCpu: ReadonlyMap<string, number> = new Map(),
): { fanout: number | null; user: number | null; cpu: number | null } {
  const b = best.get(bareKey(row));
  const c = leastCpu.get(bareKey(row));
  if (row.variant === 'baseline' || b === undefined || row.delivered < row.n)
    return { fanout: null, user: null, cpu: null };
  return {
    fanout: row.max === null ? null : row.max / b,
    user: row.userMs === null ? null : row.userMs / b,
    cpu: c === undefined || c <= 0 ? null : row.serverCpuMs / c,
  };
}

/** Every run, as a Markdown table. */
export function table(rows: readonly Row[]): string {
  const best = bestBare(rows);
  const leastCpu = leastBareCpu(rows);
  const out = [
    '| round | clients | N | payload | variant | connect all | upload | accept | fan-out p50 | fan-out all | publish → all | delivered | CPU server: all / event loop / system | CPU readers | fan-out ÷ best bare | publish → all ÷ best bare | server CPU ÷ least bare CPU |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const q = ratios(r, best, leastCpu);
    out.push(
      `| ${r.round} | ${r.who} | ${r.n} | ${r.payload} | ${r.variant} | ${f(r.connectMs)} | ${f(r.uploadMs)} | ${f(r.acceptMs)} | ${f(r.p50)} | ${f(r.max)} | ${f(r.userMs)} | ${r.delivered}/${r.n} | ${f(r.serverCpuMs)} / ${f(r.serverLoopMs)} / ${f(r.serverSysMs)} | ${f(r.readerCpuMs)} | ${x(q.fanout)} | ${x(q.user)} | ${x(q.cpu)} |`,
    );
  }
  return out.join('\n');
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

const range = (xs: number[]) =>
  xs.length < 2 ? '' : ` (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;

/** The rounds summed up: per relay configuration, median ratios and their range over the rounds. */
export function summary(rows: readonly Row[]): string {
  const best = bestBare(rows);
  const leastCpu = leastBareCpu(rows);
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.n}|${r.payload}|${r.who}|${r.variant}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out = [
    '| N | payload | clients | variant | rounds | best bare (median) | accept (median) | fan-out all (median) | fan-out ÷ best bare | publish → all ÷ best bare | server CPU ÷ least bare CPU | all delivered |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const group of groups.values()) {
    const r0 = group[0]!;
    if (r0.variant === 'baseline') continue;
    const bares = group.flatMap((r) => {
      const b = best.get(bareKey(r));
      return b === undefined ? [] : [b];
    });
    const fan = group.flatMap((r) => {
      const q = ratios(r, best).fanout;
      return q === null ? [] : [q];
    });
    const user = group.flatMap((r) => {
      const q = ratios(r, best).user;
      return q === null ? [] : [q];
    });
    const cpu = group.flatMap((r) => {
      const q = ratios(r, best, leastCpu).cpu;
      return q === null ? [] : [q];
    });
    const accept = group.flatMap((r) => (r.acceptMs === null ? [] : [r.acceptMs]));
    const max = group.flatMap((r) => (r.max === null ? [] : [r.max]));
    const delivered = group.every((r) => r.delivered === r.n) ? 'yes' : 'NO';
    out.push(
      `| ${r0.n} | ${r0.payload} | ${r0.who} | ${r0.variant} | ${group.length} | ${f(median(bares))} | ${f(median(accept))} | ${f(median(max))} | ${x(median(fan))}${range(fan)} | ${x(median(user))}${range(user)} | ${x(median(cpu))}${range(cpu)} | ${delivered} |`,
    );
  }
  return out.join('\n');
}
