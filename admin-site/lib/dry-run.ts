/**
 * The dry run of a logic script before it is published. The script runs in the player's own sandbox
 * (`player/sandbox/`: the same worker, lockdown, time budget and output checks that players use) for
 * a few hundred simulated frames; this file only collects the ball's path for a preview. The publish
 * page imports it on demand, so the worker is bundled but only fetched when a dry run starts.
 */
import { dryRun } from '../../player/sandbox/dry-run.ts';
import { WORLD_HEIGHT, WORLD_WIDTH, type Ball } from '../../player/sandbox/contract.ts';

/** Number of frames a dry run simulates (5 s at 60 fps). */
export const DRY_RUN_FRAMES = 300;

/** The world of the script contract, for drawing the path. */
export const WORLD = { width: WORLD_WIDTH, height: WORLD_HEIGHT } as const;

/** How a dry run went. */
export interface DryRunResult {
  readonly ok: boolean;
  /** Frames that completed. */
  readonly frames: number;
  /** The failure in the words a player would ack it with, or null. */
  readonly error: string | null;
  /** Mean and worst time per frame, worker round trip included. */
  readonly meanMs: number;
  readonly maxMs: number;
  /** Every good ball, in order. */
  readonly path: readonly Ball[];
}

/** Runs `source` for `frames` frames in a fresh player sandbox, which is terminated afterwards. */
export async function dryRunScript(source: string, frames = DRY_RUN_FRAMES): Promise<DryRunResult> {
  const path: Ball[] = [];
  const report = await dryRun(source, { frames, onFrame: (ball) => path.push(ball) });
  return {
    ok: report.ok,
    frames: report.frames,
    error: report.ok ? null : (report.error ?? 'the script failed'),
    meanMs: report.meanMs,
    maxMs: report.maxMs,
    path,
  };
}
