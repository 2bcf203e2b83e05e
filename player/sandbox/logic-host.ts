/**
 * Runs the demo game's logic script for the frame loop without ever holding it up: the ball
 * contract (`update(ball, world, dt)`) on a {@link ScriptHost}, which owns the sandboxes, the trial
 * calls, the standby and the fallback. The loop calls `tick` every frame; `tick` sends at most one
 * `update` call to the running script (one round trip per frame) and returns at once; the ball the
 * loop draws is the last good answer. A new script is tried for a few frames on a copy of the ball,
 * from where the ball is now, before it replaces anything.
 */
import { BALL_CONTRACT, type Ball, type World } from './contract.ts';
import type { ScriptResult } from './sandbox.ts';
import {
  DEFAULT_TRIAL_FRAMES,
  ScriptHost,
  type ScriptHostOptions,
  type ScriptIdentity,
} from './script-host.ts';

export { DEFAULT_TRIAL_FRAMES, type ScriptIdentity } from './script-host.ts';

/** Options of {@link LogicHost}. */
export interface LogicHostOptions extends Omit<
  ScriptHostOptions<Ball>,
  'trialArgs' | 'trials' | 'chainTrials'
> {
  /**
   * Frames a new script runs on a copy of the ball before it takes over (default
   * {@link DEFAULT_TRIAL_FRAMES}). They go to the worker as one request: one round trip through the
   * page's event loop whatever their number.
   */
  readonly trialFrames?: number;
  /** Longest simulated step, in seconds: after a stall the ball moves on, it doesn't jump (default 0.1). */
  readonly maxDt?: number;
}

/** The demo game's logic, run in sandboxes; see the file comment. */
export class LogicHost {
  private current: Ball;
  private readonly host: ScriptHost<Ball>;
  private inFlight = false;
  private pendingDt = 0;
  private radiusEpoch = 0;
  private disposed = false;
  private readonly maxDt: number;
  /** World for a trial step: the last one the loop gave (the demo's 800 × 600 until then). */
  private lastWorld: World = { width: 800, height: 600, time: 0 };

  constructor(ball: Ball, options: LogicHostOptions = {}) {
    this.current = ball;
    this.maxDt = options.maxDt ?? 0.1;
    const dt = 1 / 60;
    const { trialFrames, ...rest } = options;
    this.host = new ScriptHost(BALL_CONTRACT, {
      ...rest,
      trials: trialFrames ?? DEFAULT_TRIAL_FRAMES,
      // Each trial frame starts from the previous trial's ball; the first from the ball as it is now.
      trialArgs: (frame) => [this.current, { ...this.lastWorld, time: frame * dt }, dt],
      chainTrials: true,
    });
  }

  /** The last good ball. */
  get ball(): Ball {
    return this.current;
  }

  /** The script that runs now, or null before the first one is installed. */
  get running(): ScriptIdentity | null {
    return this.host.running;
  }

  /** Sets the ball's radius (the theme's `ballRadius`); the next update starts from it. */
  setRadius(radius: number): void {
    this.radiusEpoch++;
    this.current = { ...this.current, radius };
  }

  /**
   * Tries `source` in a fresh sandbox for a few frames; if it holds, it becomes the running script
   * and the one before becomes the standby. Installs run one after another, in call order.
   */
  install(source: string, identity: ScriptIdentity): Promise<ScriptResult<ScriptIdentity>> {
    return this.host.install(source, identity);
  }

  /** One frame: at most one update in flight; the loop never waits for it. */
  tick(world: World, dt: number): void {
    this.lastWorld = world;
    this.pendingDt = Math.min(this.pendingDt + Math.max(0, dt), this.maxDt);
    if (this.inFlight || !this.host.ready || this.disposed) return;
    const stepDt = this.pendingDt;
    this.pendingDt = 0;
    this.inFlight = true;
    const epoch = this.radiusEpoch;
    void this.host.call([this.current, world, stepDt]).then((result) => {
      this.inFlight = false;
      // A failure was handled by the host (fallback, onFailure); the ball stays where it was.
      if (!result.ok) return;
      // A theme change that landed while the call ran wins over the radius the script returned.
      this.current =
        epoch === this.radiusEpoch ? result.value : { ...result.value, radius: this.current.radius };
    });
  }

  /** Terminates every sandbox. */
  dispose(): void {
    this.disposed = true;
    this.host.dispose();
  }
}
