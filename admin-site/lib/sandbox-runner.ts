/**
 * Binds the dry run to the player's script sandbox (`player/sandbox/`). Until that module exists the
 * dry run reports itself unavailable instead of running scripts in a sandbox of its own.
 */
import type { DryRunReport } from './dry-run.ts';

/** Runs `source` for `frames` frames in the player's sandbox. */
export function dryRunScript(source: string, frames: number): Promise<DryRunReport> {
  void source;
  void frames;
  return Promise.resolve({
    ok: false,
    kind: 'unavailable',
    message: 'The player’s script sandbox is not part of this build yet.',
    frame: 0,
    path: [],
  });
}
