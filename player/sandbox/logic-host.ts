/**
 * Runs the game's logic script for the frame loop without ever holding it up. The loop calls `tick`
 * every frame; `tick` sends at most one `update` call to the active sandbox (one Comlink round trip
 * per frame) and returns at once; the ball the loop draws is the last good answer. A script that
 * fails — throws, hangs past the budget, returns junk — is dropped: its worker is terminated, the
 * warm standby that runs the previous good script takes over from the last good ball, and a new
 * standby is started behind it. A new script is tried for a few frames in its own worker before it
 * replaces anything.
 */
import type { Ball, World } from './contract.ts';
import {
  ScriptSandbox,
  type SandboxOptions,
  type SandboxWorker,
  type ScriptResult,
  type SpawnSandbox,
} from './sandbox.ts';
import { spawnBrowserSandbox } from './browser-worker.ts';

/** Which script is which, for acks and status: a slot's blob hash and version, or the built-in one. */
export interface ScriptIdentity {
  readonly id: string;
  readonly version: string;
}

/** Options of {@link LogicHost}. */
export interface LogicHostOptions extends SandboxOptions {
  /** Frames a new script runs on a copy of the ball before it takes over (default 10). */
  readonly trialFrames?: number;
  /** Longest simulated step, in seconds: after a stall the ball moves on, it doesn't jump (default 0.1). */
  readonly maxDt?: number;
  /** Good scripts kept to fall back on (default 4, the first one included). */
  readonly keep?: number;
  /**
   * A running script failed and was dropped; `now` is what runs instead (null: nothing is left).
   * `timedOut`: it overran its budget (which a starved machine can cause), rather than threw or
   * answered junk.
   */
  readonly onFailure?: (
    failed: ScriptIdentity,
    error: string,
    now: ScriptIdentity | null,
    timedOut: boolean,
  ) => void;
}

interface Script {
  readonly source: string;
  readonly identity: ScriptIdentity;
}

/** The game's logic, run in sandboxes; see the file comment. */
export class LogicHost {
  private current: Ball;
  /** Good scripts, oldest first; the last one is the active one. */
  private readonly stack: Script[] = [];
  private active: ScriptSandbox | null = null;
  private standby: Promise<ScriptSandbox | null> | null = null;
  private inFlight = false;
  private pendingDt = 0;
  private radiusEpoch = 0;
  private installing: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private readonly options: LogicHostOptions;
  /** A worker started ahead of need: a new script skips the worker's start-up time. */
  private spare: SandboxWorker | null = null;
  private readonly spawnFresh: SpawnSandbox;

  constructor(ball: Ball, options: LogicHostOptions = {}) {
    this.current = ball;
    this.spawnFresh = options.spawn ?? spawnBrowserSandbox;
    // Every sandbox this host opens takes the spare worker (and a new spare starts behind it).
    this.options = { ...options, spawn: () => this.takeWorker() };
  }

  private takeWorker(): SandboxWorker {
    const worker = this.spare ?? this.spawnFresh();
    this.spare = null;
    setTimeout(() => {
      if (!this.disposed && !this.spare) this.spare = this.spawnFresh();
    }, 0);
    return worker;
  }

  /** The last good ball. */
  get ball(): Ball {
    return this.current;
  }

  /** The script that runs now, or null before the first one is installed. */
  get running(): ScriptIdentity | null {
    return this.stack.at(-1)?.identity ?? null;
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
    const run = this.installing.then(() => this.tryInstall({ source, identity }));
    this.installing = run;
    return run;
  }

  private async tryInstall(script: Script): Promise<ScriptResult<ScriptIdentity>> {
    if (this.running?.id === script.identity.id) return { ok: true, value: script.identity };
    const opened = await ScriptSandbox.open(script.source, this.options);
    if (!opened.ok) return opened;
    const sandbox = opened.value;
    let ball = this.current;
    const dt = 1 / 60;
    for (let frame = 0; frame < (this.options.trialFrames ?? 10); frame++) {
      const result = await sandbox.step(ball, this.world(frame * dt), dt);
      if (!result.ok) return { ...result, message: `trial frame ${frame}: ${result.message}` };
      ball = result.value;
    }
    if (this.disposed) {
      sandbox.terminate();
      return { ok: true, value: script.identity };
    }
    // The old active sandbox is warm and runs the previous good script: it is the new standby.
    const previous = this.active;
    void this.standby?.then((s) => s?.terminate());
    this.standby = previous ? Promise.resolve(previous) : null;
    this.active = sandbox;
    this.stack.push(script);
    const keep = Math.max(2, this.options.keep ?? 4);
    if (this.stack.length > keep) this.stack.splice(1, this.stack.length - keep);
    return { ok: true, value: script.identity };
  }

  /** World for a step: the size given at construction time is the demo's 800 × 600. */
  private lastWorld: World = { width: 800, height: 600, time: 0 };

  private world(time: number): World {
    return { ...this.lastWorld, time };
  }

  /** One frame: at most one update in flight; the loop never waits for it. */
  tick(world: World, dt: number): void {
    this.lastWorld = world;
    this.pendingDt = Math.min(this.pendingDt + Math.max(0, dt), this.options.maxDt ?? 0.1);
    const sandbox = this.active;
    if (this.inFlight || !sandbox || this.disposed) return;
    const stepDt = this.pendingDt;
    this.pendingDt = 0;
    this.inFlight = true;
    const epoch = this.radiusEpoch;
    void sandbox.step(this.current, world, stepDt).then((result) => {
      this.inFlight = false;
      if (this.active !== sandbox) return;
      if (!result.ok) {
        this.fail(result.message, result.timedOut);
        return;
      }
      // A theme change that landed while the call ran wins over the radius the script returned.
      this.current =
        epoch === this.radiusEpoch ? result.value : { ...result.value, radius: this.current.radius };
    });
  }

  /** Drops the running script and promotes the standby. */
  private fail(error: string, timedOut: boolean): void {
    const failed = this.stack.pop();
    this.active?.terminate();
    this.active = null;
    const now = this.stack.at(-1) ?? null;
    if (failed) this.options.onFailure?.(failed.identity, error, now?.identity ?? null, timedOut);
    const standby = this.standby;
    this.standby = null;
    if (!now || this.disposed) return;
    void (standby ?? this.spawn(now)).then((sandbox) => {
      if (this.disposed || this.stack.at(-1) !== now || !sandbox?.alive) {
        sandbox?.terminate();
        if (!this.disposed && this.stack.at(-1) === now && !this.active)
          this.fail('its sandbox did not start', false);
        return;
      }
      this.active = sandbox;
      const below = this.stack.at(-2);
      this.standby = below ? this.spawn(below) : null;
    });
  }

  private async spawn(script: Script): Promise<ScriptSandbox | null> {
    const opened = await ScriptSandbox.open(script.source, this.options);
    return opened.ok ? opened.value : null;
  }

  /** Terminates every sandbox. */
  dispose(): void {
    this.disposed = true;
    this.spare?.terminate();
    this.spare = null;
    this.active?.terminate();
    this.active = null;
    void this.standby?.then((s) => s?.terminate());
    this.standby = null;
  }
}
