/**
 * CPU time of each of this process's threads, by thread name, from /proc (Linux): the benchmark logs
 * where a server's CPU went besides its event loop (V8's collector and compiler threads, libuv's
 * pool) — the relay's "all" CPU beside a bare server's is only comparable once that is known.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU ms per thread name (threads of one name summed), or an empty map off Linux. */
export function threadCpuMs(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Fields after the name: utime and stime (1/100 s) are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const key = tid === String(process.pid) ? 'main' : name;
      out.set(key, (out.get(key) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
    }
  } catch {
    // Not Linux, or a thread ended while being read: what was read is kept.
  }
  return out;
}

/** The CPU each thread name spent since `start`, the busiest first: `main 820 ms, V8 Worker 310 ms, …`. */
export function threadCpuSince(start: Map<string, number>): string {
  const spent = [...threadCpuMs()]
    .map(([name, ms]) => [name, ms - (start.get(name) ?? 0)] as const)
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1]);
  return spent.map(([name, ms]) => `${name} ${ms} ms`).join(', ') || '—';
}
