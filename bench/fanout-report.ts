/**
 * The fan-out benchmark's tables: every run (each relay run beside its paired bare baseline, the
 * bare runs just before and after it: `fanout-pairs.ts`), the paired ratios round by round, and one
 * summary line per relay configuration — the median of its paired ratios, their range, and a 95 %
 * interval with a verdict against the target (1.00×; 1.05× with a non-reader connected first).
 */
import { pairs, summarize, verdict, type Pair } from './fanout-pairs.ts';
import type { Row } from './fanout-runs.ts';

const f = (ms: number | null) =>
  ms === null ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
const x = (r: number | null) => (r === null ? '' : `${r.toFixed(2)}×`);

/** The fan-out target of a relay configuration (issue 14): 1.05× with a non-reader, else 1.00×. */
export const targetOf = (variant: Row['variant']): number => (variant === 'sloth' ? 1.05 : 1.0);

const cellKey = (r: Row) => `${r.round}:${r.n}:${r.payload}:${r.proto}`;
const configKey = (r: Row) => `${r.n}|${r.payload}|${r.who}|${r.variant}`;

/** The least CPU a bare server spent writing the same bytes, per round, N, payload and protocol. */
function leastBareCpu(rows: readonly Row[]): Map<string, number> {
  const least = new Map<string, number>();
  for (const r of rows) {
    if (r.variant !== 'baseline' || r.delivered < r.n) continue;
    least.set(cellKey(r), Math.min(least.get(cellKey(r)) ?? Infinity, r.serverCpuMs));
  }
  return least;
}

/** Every run, in the order they ran, as a Markdown table (round 0 is the warm-up). */
export function table(rows: readonly Row[]): string {
  const paired = new Map<Row, Pair>(pairs(rows).map((p) => [p.row, p]));
  const leastCpu = leastBareCpu(rows);
  const out = [
    '| round | clients | N | payload | variant | connect all | upload | accept | fan-out p50 | fan-out all | publish → all | delivered | CPU server: all / event loop / system | CPU readers | TCP: memory pressure / zero windows / loss probes | paired bare (before / after) | fan-out ÷ paired bare | server CPU ÷ least bare CPU |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const p = paired.get(r);
    const c = leastCpu.get(cellKey(r));
    const cpu = r.variant === 'baseline' || c === undefined || c <= 0 ? null : r.serverCpuMs / c;
    out.push(
      `| ${r.round === 0 ? '0 (warm-up)' : r.round} | ${r.who} | ${r.n} | ${r.payload} | ${r.variant} | ${f(r.connectMs)} | ${f(r.uploadMs)} | ${f(r.acceptMs)} | ${f(r.p50)} | ${f(r.max)} | ${f(r.userMs)} | ${r.delivered}/${r.n} | ${f(r.serverCpuMs)} / ${f(r.serverLoopMs)} / ${f(r.serverSysMs)} | ${f(r.readerCpuMs)} | ${r.tcp ? `${r.tcp.pressures} / ${r.tcp.zeroWindows} / ${r.tcp.lossProbes}` : '—'} | ${p ? `${f(p.bareMs)} (${f(p.bareBefore)} / ${f(p.bareAfter)})` : ''} | ${x(p?.ratio ?? null)} | ${x(cpu)} |`,
    );
  }
  return out.join('\n');
}

/** The paired ratios, one row per relay configuration and one column per measured round. */
export function roundsTable(rows: readonly Row[]): string {
  const all = pairs(rows);
  const rounds = [...new Set(all.map((p) => p.row.round))].sort((a, b) => a - b);
  const groups = new Map<string, Pair[]>();
  for (const p of all) groups.set(configKey(p.row), [...(groups.get(configKey(p.row)) ?? []), p]);
  const out = [
    `| N | payload | clients | variant | ${rounds.map((r) => `round ${r}`).join(' | ')} |`,
    `|---|---|---|---|${rounds.map(() => '---|').join('')}`,
  ];
  for (const group of groups.values()) {
    const r0 = group[0]!.row;
    const cells = rounds.map((round) =>
      group
        .filter((p) => p.row.round === round)
        .map((p) => x(p.ratio))
        .join(' '),
    );
    out.push(`| ${r0.n} | ${r0.payload} | ${r0.who} | ${r0.variant} | ${cells.join(' | ')} |`);
  }
  return out.join('\n');
}

/**
 * One line per relay configuration: its paired fan-out ratios summed up (median, range, geometric
 * mean with a 95 % interval, verdict against the target), the same for publish request → last
 * byte, the server's CPU against the least a bare server spent, and whether everyone got everything.
 */
export function summary(rows: readonly Row[]): string {
  const all = pairs(rows);
  const leastCpu = leastBareCpu(rows);
  const groups = new Map<string, Row[]>();
  for (const r of rows)
    if (r.variant !== 'baseline' && r.round >= 1)
      groups.set(configKey(r), [...(groups.get(configKey(r)) ?? []), r]);
  const out = [
    '| N | payload | clients | variant | pairs | paired bare (median) | accept (median) | fan-out ÷ paired bare: median (range) | geo-mean [95 % interval] | target | verdict | publish → all ÷ paired bare (median) | server CPU ÷ least bare CPU (median) | all delivered |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const group of groups.values()) {
    const r0 = group[0]!;
    const mine = all.filter((p) => group.includes(p.row));
    const s = summarize(mine.map((p) => p.ratio));
    const user = summarize(mine.flatMap((p) => (p.row.userMs === null ? [] : [p.row.userMs / p.bareMs])));
    const cpu = summarize(
      group.flatMap((r) => {
        const c = leastCpu.get(cellKey(r));
        return c === undefined || c <= 0 ? [] : [r.serverCpuMs / c];
      }),
    );
    const bare = summarize(mine.map((p) => p.bareMs));
    const accept = summarize(group.flatMap((r) => (r.acceptMs === null ? [] : [r.acceptMs])));
    const target = targetOf(r0.variant);
    const interval =
      s && s.low !== null && s.high !== null
        ? `${x(s.geoMean)} [${s.low.toFixed(2)}–${s.high.toFixed(2)}]`
        : '—';
    out.push(
      `| ${r0.n} | ${r0.payload} | ${r0.who} | ${r0.variant} | ${mine.length} | ${f(bare?.median ?? null)} | ${f(accept?.median ?? null)} | ${s ? `**${x(s.median)}** (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : '—'} | ${interval} | ≤ ${x(target)} | ${s ? verdict(s, target) : '—'} | ${x(user?.median ?? null)} | ${x(cpu?.median ?? null)} | ${group.every((r) => r.delivered === r.n) ? 'yes' : 'NO'} |`,
    );
  }
  return out.join('\n');
}
