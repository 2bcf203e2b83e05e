/**
 * The dry run of a logic script before it is published: the script runs in the player's own sandbox
 * (the same worker, limits and output checks that players use) for a few hundred simulated frames.
 * This file only drives it and reports; it holds no sandbox of its own.
 */

/** The ball of the script contract. */
export interface Ball {
  readonly x: number;
  readonly y: number;
  readonly vx: number;
  readonly vy: number;
  readonly radius: number;
}

/** The world of the script contract. */
export const WORLD = { width: 800, height: 600 } as const;

/** The ball the dry run starts from (what the demo player starts from). */
export const START_BALL: Ball = { x: 400, y: 300, vx: 180, vy: 140, radius: 24 };

/** How the dry run ended. */
export type DryRunReport =
  | {
      readonly ok: true;
      readonly frames: number;
      readonly ms: number;
      /** Every ball position, for the path preview. */
      readonly path: readonly Ball[];
    }
  | {
      readonly ok: false;
      /** `load`: the module did not load or has no `update`; `throw`, `timeout`, `bad-output`: a call failed. */
      readonly kind: 'load' | 'throw' | 'timeout' | 'bad-output' | 'unavailable';
      readonly message: string;
      /** The frame that failed (0 when loading failed). */
      readonly frame: number;
      readonly path: readonly Ball[];
    };

/** Runs a script for `frames` frames at 60 fps in the player's sandbox. */
export type DryRunner = (source: string, frames?: number) => Promise<DryRunReport>;

/** Number of frames a dry run simulates (5 s at 60 fps). */
export const DRY_RUN_FRAMES = 300;
