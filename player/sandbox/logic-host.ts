/**
 * Runs the game's logic script for the frame loop without ever holding it up. The loop calls `tick`
 * every frame; `tick` sends at most one `update` call to the active sandbox (one round trip per
 * frame) and returns at once; the ball the loop draws is the last good answer. A script that fails —
 * throws, hangs past the budget, runs out of memory, returns junk, or its worker misbehaves — is
 * dropped: its worker is terminated, the standby (a fresh sandbox loaded with the previous good
 * script from its cached source) takes over from the last good ball, and a new standby is started
 * behind it. A new script is tried for a few frames in its own worker before it replaces anything;
 * the worker it replaces is terminated. Every path is total: whatever goes wrong becomes a failed
 * script (or, when the sandbox itself failed, a transient one), never a stuck host.
 */
import type { Ball, World } from './contract.ts';
import {
  ScriptSandbox,
  scriptFailure,
  thrownText,
  type SandboxOptions,
  type SandboxWorker,
  type ScriptResult,
  type SpawnSandbox,
} from './sandbox.ts';
import { Fault } from './wire.ts';
import { spawnBrowserSandbox } from './browser-worker.ts';

/** Which script is which, for acks and status: a slot's blob hash and version, or the built-in one. */
export interface ScriptIdentity {
  readonly id: string;
  readonly version: string;
}

/**
 * Trial frames before a new script takes over: enough to catch a script that throws, hangs or answers
 * junk from its first calls; a later failure is caught while running and falls back the same way.
 */
export const DEFAULT_TRIAL_FRAMES = 3;

/** Options of {@link LogicHost}. */
export interface LogicHostOptions extends SandboxOptions {
  /**
   * Frames a new script runs on a copy of the ball before it takes over (default
   * {@link DEFAULT_TRIAL_FRAMES}). Each is one round trip through the page's event loop — on a page
   * busy rendering, about one rendered frame — so this is the swap's latency as well as its check.
   */
  readonly trialFrames?: number;
  /** Longest simulated step, in seconds: after a stall the ball moves on, it doesn't jump (default 0.1). */
  readonly maxDt?: number;
  /** Good scripts kept to fall back on (default 4, the first one included). */
  readonly keep?: number;
  /**
   * A running script failed and was dropped; `now` is what runs instead (null: nothing is left).
   * `transient`: it overran its budget (which a starved machine can cause) or its sandbox failed,
   * rather than threw, ran out of memory or answered junk — not to be held against it for ever.
   */
  readonly onFailure?: (
    failed: ScriptIdentity,
    error: string,
    now: ScriptIdentity | null,
    transient: boolean,
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
    // Total: a rejection anywhere (a bug here, a sandbox that broke) is a transient failure of this
    // install, and the next install runs all the same.
    const run = this.installing.then(() =>
      this.tryInstall({ source, identity }).catch((error: unknown) =>
        scriptFailure(`the sandbox failed: ${thrownText(error)}`, Fault.HOST),
      ),
    );
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
    for (let frame = 0; frame < (this.options.trialFrames ?? DEFAULT_TRIAL_FRAMES); frame++) {
      const result = await sandbox.step(ball, this.world(frame * dt), dt);
      if (!result.ok) {
        sandbox.terminate();
        return { ...result, message: `trial frame ${frame}: ${result.message}` };
      }
      ball = result.value;
    }
    if (this.disposed) {
      sandbox.terminate();
      return { ok: true, value: script.identity };
    }
    // The replaced worker is terminated, never kept running; the standby is a fresh sandbox loaded
    // with the previous script's cached source.
    const below = this.stack.at(-1);
    this.active?.terminate();
    this.setActive(sandbox);
    this.stack.push(script);
    const keep = Math.max(2, this.options.keep ?? 4);
    if (this.stack.length > keep) this.stack.splice(1, this.stack.length - keep);
    this.replaceStandby(below ?? null);
    return { ok: true, value: script.identity };
  }

  private setActive(sandbox: ScriptSandbox): void {
    this.active = sandbox;
    // Died while idle (it spoke unasked, or missed a ping): the script is dropped like any failure.
    sandbox.onLost = (failure) => {
      if (this.active === sandbox) this.fail(failure.message, failure.transient);
    };
  }

  /** Terminates the standby and starts a fresh one for `script` (none for null). */
  private replaceStandby(script: Script | null): void {
    void this.standby?.then((s) => s?.terminate());
    const standby = script ? this.spawn(script) : null;
    this.standby = standby;
    void standby?.then((sandbox) => {
      if (!sandbox) return;
      // A standby that dies while waiting is replaced by a fresh one, once.
      sandbox.onLost = () => {
        if (this.standby === standby && !this.disposed) {
          this.standby = this.spawn(script!);
        }
      };
    });
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
    const settle = (result: ScriptResult<Ball>): void => {
      this.inFlight = false;
      if (this.active !== sandbox) return;
      if (!result.ok) {
        this.fail(result.message, result.transient);
        return;
      }
      // A theme change that landed while the call ran wins over the radius the script returned.
      this.current =
        epoch === this.radiusEpoch ? result.value : { ...result.value, radius: this.current.radius };
    };
    sandbox
      .step(this.current, world, stepDt)
      .then(settle, (error: unknown) => {
        sandbox.terminate();
        settle(scriptFailure(`the sandbox failed: ${thrownText(error)}`, Fault.HOST));
      })
      .catch(() => {
        // `settle` itself threw (an onFailure handler): the next tick starts afresh.
        this.inFlight = false;
      });
  }

  /** Drops the running script and promotes the standby. */
  private fail(error: string, transient: boolean): void {
    const failed = this.stack.pop();
    this.active?.terminate();
    this.active = null;
    const now = this.stack.at(-1) ?? null;
    const standby = this.standby;
    this.standby = null;
    if (failed) {
      try {
        this.options.onFailure?.(failed.identity, error, now?.identity ?? null, transient);
      } catch {
        // The handler's own trouble; the host goes on.
      }
    }
    if (!now || this.disposed) return;
    void (async () => {
      let sandbox = await (standby ?? this.spawn(now));
      // A standby that died while it waited is replaced, not held against its script.
      if (sandbox && !sandbox.alive) sandbox = await this.spawn(now);
      if (this.disposed || this.stack.at(-1) !== now || !sandbox?.alive) {
        sandbox?.terminate();
        // A standby that could not start is the sandbox's failure, not the script's.
        if (!this.disposed && this.stack.at(-1) === now && !this.active)
          this.fail('its sandbox did not start', true);
        return;
      }
      this.setActive(sandbox);
      this.replaceStandby(this.stack.at(-2) ?? null);
    })();
  }

  /** A fresh sandbox loaded with `script` (null when it did not start). Never rejects. */
  private async spawn(script: Script): Promise<ScriptSandbox | null> {
    try {
      const opened = await ScriptSandbox.open(script.source, this.options);
      return opened.ok ? opened.value : null;
    } catch {
      return null;
    }
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
