/**
 * A rehearsal of a logic script before it is published (the admin site's dry run) or adopted (the
 * player's trial): a fresh sandbox, a few hundred simulated frames with the player's own budget and
 * checks, a report, and the worker is gone.
 */
import { initialBall, WORLD_HEIGHT, WORLD_WIDTH, type Ball } from './contract.ts';
import { ScriptSandbox, type SandboxOptions } from './sandbox.ts';

/** Options of {@link dryRun}. */
export interface DryRunOptions extends SandboxOptions {
  /** Frames to simulate (default 300: five seconds at 60 fps). */
  readonly frames?: number;
  /** Seconds per frame (default 1/60). */
  readonly dt?: number;
  /** Starting ball (default: {@link initialBall}). */
  readonly ball?: Ball;
  /** World size (default 800 × 600). */
  readonly width?: number;
  readonly height?: number;
  /** Called with each good ball state (for a preview). */
  readonly onFrame?: (ball: Ball, frame: number) => void;
}

/** What a dry run found. */
export interface DryRunReport {
  /** True when every frame ran within budget and returned a good ball. */
  readonly ok: boolean;
  /** Frames that completed. */
  readonly frames: number;
  /** The failure, in the words the player would ack it with. */
  readonly error?: string;
  /** Time from the call to the answer, per frame (round trip through the worker included). */
  readonly meanMs: number;
  readonly maxMs: number;
  /** The last good ball. */
  readonly ball: Ball;
}

/** Loads `source` in a fresh sandbox, runs it for `frames` frames, reports, and terminates it. */
export async function dryRun(source: string, options: DryRunOptions = {}): Promise<DryRunReport> {
  const frames = options.frames ?? 300;
  const dt = options.dt ?? 1 / 60;
  const width = options.width ?? WORLD_WIDTH;
  const height = options.height ?? WORLD_HEIGHT;
  let ball = options.ball ?? initialBall();
  const opened = await ScriptSandbox.open(source, options);
  if (!opened.ok) return { ok: false, frames: 0, error: opened.message, meanMs: 0, maxMs: 0, ball };
  const sandbox = opened.value;
  let total = 0;
  let max = 0;
  try {
    for (let frame = 0; frame < frames; frame++) {
      const started = performance.now();
      const result = await sandbox.step(ball, { width, height, time: frame * dt }, dt);
      const took = performance.now() - started;
      total += took;
      max = Math.max(max, took);
      if (!result.ok) {
        return {
          ok: false,
          frames: frame,
          error: `frame ${frame}: ${result.message}`,
          meanMs: total / (frame + 1),
          maxMs: max,
          ball,
        };
      }
      ball = result.value;
      options.onFrame?.(ball, frame);
    }
    return { ok: true, frames, meanMs: frames > 0 ? total / frames : 0, maxMs: max, ball };
  } finally {
    sandbox.terminate();
  }
}
