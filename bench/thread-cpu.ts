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

/** What this process's threads spent since a {@link threadCpuMs} reading. */
export interface ThreadCpuSpent {
  /** The main thread's (the event loop's) CPU ms; null where /proc is not there. */
  readonly loopMs: number | null;
  /** Every thread name's, the busiest first: `main 820 ms, node 310 ms, …` (`—`: none). */
  readonly byThread: string;
}

/** The CPU each thread spent since `start` (one reading of /proc for both figures). */
export function threadCpuSince(start: Map<string, number>): ThreadCpuSpent {
  const end = threadCpuMs();
  const mainStart = start.get('main');
  const mainEnd = end.get('main');
  const spent = [...end]
    .map(([name, ms]) => [name, ms - (start.get(name) ?? 0)] as const)
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1]);
  return {
    loopMs: mainStart === undefined || mainEnd === undefined ? null : mainEnd - mainStart,
    byThread: spent.map(([name, ms]) => `${name} ${ms} ms`).join(', ') || '—',
  };
}
