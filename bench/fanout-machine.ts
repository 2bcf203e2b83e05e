/**
 * What the fan-out benchmark does to the machine between runs so that a run's time is the server's:
 * a full garbage collection before each timed push (a previous run's garbage is not collected during
 * the next one), and optionally the server and the readers pinned to separate CPUs (`--pin`) so
 * they stop taking turns on the same core — the same for the relay and every bare server.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFn: (() => void) | null | undefined;

/** A full, synchronous garbage collection of this process (V8's `gc()`, exposed at run time). */
export function fullGc(): void {
  if (gcFn === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const fn: unknown = runInNewContext('gc');
      gcFn = typeof fn === 'function' ? () => void fn() : null;
    } catch {
      gcFn = null;
    }
  }
  gcFn?.();
}

/** Which CPU the server (this process) and the readers run on when pinned. */
export interface Pinning {
  readonly server: number;
  readonly readers: number;
}

/**
 * Pins every thread of the server (this process, and `serverPids`: the bare servers' process) and of
 * the readers' process (present and future threads: they inherit it) to separate CPUs with
 * `taskset`; false when that is not possible here (no taskset, one CPU). Asked once, before any
 * pinning: a pinned process sees one CPU.
 */
export function pinApart(
  readersPid: number,
  cpus: Pinning = { server: 0, readers: 1 },
  serverPids: readonly number[] = [],
): boolean {
  if (availableParallelism() < 2) return false;
  return [process.pid, ...serverPids].every((pid) => pin(pid, cpus.server)) && pin(readersPid, cpus.readers);
}

function pin(pid: number, cpu: number): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The load average, as printed beside the tables: `1 min / 5 min / 15 min`. */
export const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
