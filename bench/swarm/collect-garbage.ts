/**
 * A full garbage collection, for the swarm benchmark to start each timed window from a collected
 * heap: the players' processes and the relay are reused from run to run, so without it the garbage
 * of one run (its players' buffers, N copies of the patch) is collected during the next one — a cost
 * that falls on whichever mode runs after the bigger run. Node exposes `gc` only with `--expose-gc`;
 * setting the flag at run time makes it available in a new context.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null = null;

/** Runs a full collection (mark-sweep-compact) of this process's heap now. */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
