/**
 * Runs one script slot of a game under its contract, whatever the contract is. A new script is tried
 * in its own fresh sandbox with the contract's trial calls before it replaces anything; the game
 * calls the running one with {@link ScriptHost.call}, one call at a time; a script that fails —
 * throws, hangs past the budget, runs out of memory, returns what the contract's validator refuses,
 * or its worker misbehaves — is dropped: its worker is terminated, the standby (a fresh sandbox
 * loaded with the previous good script from its cached source) takes over, and a new standby is
 * started behind it. Every path is total: whatever goes wrong becomes a failed script (or, when the
 * sandbox itself failed, a transient one), never a stuck host. The demo's ball (`logic-host.ts`) is
 * one user of this; a game's own contracts are others.
 */
import type { ScriptContract } from './contract.ts';
import {
  ScriptSandbox,
  scriptFailure,
  thrownText,
  type SandboxOptions,
  type ScriptResult,
  type SpawnSandbox,
} from './sandbox.ts';
import { Fault } from './wire.ts';
import { spawnBrowserSandbox } from './browser-worker.ts';

/** Which script is which, for acks and status: a slot's blob hash and version, or a built-in one. */
export interface ScriptIdentity {
  readonly id: string;
  readonly version: string;
}

/**
 * Trial calls before a new script takes over when the game supplies `trialArgs` and no count:
 * enough to catch a script that throws, hangs or answers junk from its first calls; a later failure
 * is caught while running and falls back the same way. They go to the worker as one request (one
 * round trip through the page's event loop, however many there are).
 */
export const DEFAULT_TRIAL_FRAMES = 3;

/**
 * A running script failed and was dropped; `now` is what runs instead (null: nothing is left).
 * `transient`: it overran its budget (which a starved machine can cause) or its sandbox failed,
 * rather than threw, ran out of memory or answered junk — not to be held against it for ever.
 */
export type OnScriptFailure = (
  failed: ScriptIdentity,
  error: string,
  now: ScriptIdentity | null,
  transient: boolean,
) => void;

/** Options of {@link ScriptHost}. */
export interface ScriptHostOptions<T> extends SandboxOptions {
  /** The arguments of trial call `index`. Default: the contract's `samples`. */
  readonly trialArgs?: (index: number) => readonly unknown[];
  /**
   * With `trialArgs`: each trial call after the first takes the result of the one before as its
   * first argument (for a game whose state flows from one call to the next, as the demo's ball).
   */
  readonly chainTrials?: boolean;
  /** Trial calls when `trialArgs` is given (default {@link DEFAULT_TRIAL_FRAMES}). */
  readonly trials?: number;
  /** Good scripts kept to fall back on (default 4, the first one included). */
  readonly keep?: number;
  readonly onFailure?: OnScriptFailure;
}

interface Script {
  readonly source: string;
  readonly identity: ScriptIdentity;
}

/** One script slot's scripts, run in sandboxes under one contract; see the file comment. */
export class ScriptHost<T> {
  /** Good scripts, oldest first; the last one is the active one. */
  private readonly stack: Script[] = [];
  private active: ScriptSandbox | null = null;
  private standby: Promise<ScriptSandbox | null> | null = null;
  private calling = false;
  private installing: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private readonly options: ScriptHostOptions<T>;
  /**
   * A sandbox started ahead of need (worker and engine up, no script yet): a new script skips the
   * worker's start-up and the engine's instantiation, and waits only for its load and its trial.
   */
  private spare: Promise<ScriptResult<ScriptSandbox>> | null = null;
  private readonly spawnFresh: SpawnSandbox;

  constructor(
    readonly contract: ScriptContract<T>,
    options: ScriptHostOptions<T> = {},
  ) {
    this.spawnFresh = options.spawn ?? spawnBrowserSandbox;
    this.options = options;
  }

  /** Starts a sandbox with no script. */
  private startFresh(): Promise<ScriptResult<ScriptSandbox>> {
    const { budgetMs, memoryBytes } = this.options;
    return ScriptSandbox.start({
      spawn: this.spawnFresh,
      ...(budgetMs === undefined ? {} : { budgetMs }),
      ...(memoryBytes === undefined ? {} : { memoryBytes }),
    });
  }

  /**
   * The spare sandbox (a fresh one if there is none, or it failed to start or died waiting); a new
   * spare starts behind it.
   */
  private async takeStarted(): Promise<ScriptResult<ScriptSandbox>> {
    const spare = this.spare;
    this.spare = null;
    setTimeout(() => this.refillSpare(), 0);
    if (!spare) return this.startFresh();
    // A spare that did not start, or died waiting, is replaced by a fresh one: it is no one's fault.
    const started = await spare;
    return started.ok && started.value.alive ? started : this.startFresh();
  }

  /** Starts a spare sandbox unless there is one. */
  private refillSpare(): void {
    if (!this.disposed && !this.spare) this.spare = this.startFresh();
  }

  /** The call budgets of the host's options, as a sandbox takes them. */
  private budgets(): { budgetMs?: number; loadBudgetMs?: number } {
    const { budgetMs, loadBudgetMs } = this.options;
    return {
      ...(budgetMs === undefined ? {} : { budgetMs }),
      ...(loadBudgetMs === undefined ? {} : { loadBudgetMs }),
    };
  }

  /** A started sandbox with `source` loaded. */
  private async openScript(source: string): Promise<ScriptResult<ScriptSandbox>> {
    const started = await this.takeStarted();
    if (!started.ok) return started;
    return started.value.load(source, this.budgets(), this.contract);
  }

  /**
   * A started sandbox with `source` loaded and its trial calls made, in one request to the worker
   * (one round trip through the page's event loop: the load's reply and the trial's are one).
   */
  private async openAndTry(source: string): Promise<ScriptResult<ScriptSandbox>> {
    const started = await this.takeStarted();
    if (!started.ok) return started;
    const count = this.trialCount();
    const calls = Array.from({ length: count }, (_, i) => this.trialArgsOf(i));
    const chain = this.options.trialArgs !== undefined && this.options.chainTrials === true;
    const tried = await started.value.loadAndTry(source, this.budgets(), this.contract, calls, chain);
    if (tried.ok) return tried;
    if (!('at' in tried)) return tried;
    const { at, ...failure } = tried;
    return scriptFailure(`trial call ${at}: ${failure.message}`, failure.fault);
  }

  /** The script that runs now, or null before the first one is installed (or after the last failed). */
  get running(): ScriptIdentity | null {
    return this.stack.at(-1)?.identity ?? null;
  }

  /** True when a call would run now: a script is active and no call is in flight. */
  get ready(): boolean {
    return this.active !== null && !this.calling && !this.disposed;
  }

  /**
   * Tries `source` in a fresh sandbox with the trial calls; if it holds, it becomes the running
   * script and the one before becomes the standby. Installs run one after another, in call order.
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

  /** The argument lists of the trial calls, or a function making them one by one. */
  private trialCount(): number {
    if (this.options.trialArgs) return this.options.trials ?? DEFAULT_TRIAL_FRAMES;
    return this.contract.samples?.length ?? 0;
  }

  private trialArgsOf(index: number): readonly unknown[] {
    if (this.options.trialArgs) return this.options.trialArgs(index);
    return this.contract.samples?.[index] ?? [];
  }

  private async tryInstall(script: Script): Promise<ScriptResult<ScriptIdentity>> {
    if (this.running?.id === script.identity.id) return { ok: true, value: script.identity };
    const opened = await this.openAndTry(script.source);
    if (!opened.ok) return opened;
    const sandbox = opened.value;
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

  /**
   * Calls the running script once with `args` (JSON data: copied in, never shared). A failure drops
   * the script for the standby (and `onFailure` hears of it) before the failure is returned; a call
   * whose script was replaced while it ran fails without blaming anyone. Never rejects.
   */
  async call(args: readonly unknown[]): Promise<ScriptResult<T>> {
    const sandbox = this.active;
    if (!sandbox || this.disposed) return scriptFailure('no script is running', Fault.HOST);
    if (this.calling) return scriptFailure('a call is already running', Fault.HOST);
    this.calling = true;
    let result: ScriptResult<T>;
    try {
      result = await sandbox.call(this.contract, args);
    } catch (error) {
      sandbox.terminate();
      result = scriptFailure(`the sandbox failed: ${thrownText(error)}`, Fault.HOST);
    } finally {
      this.calling = false;
    }
    if (this.active !== sandbox) {
      return result.ok ? scriptFailure('the script was replaced during the call', Fault.HOST) : result;
    }
    if (!result.ok) this.fail(result.message, result.transient);
    return result;
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
      const replace = () => {
        if (this.standby === standby && !this.disposed) this.standby = this.spawn(script!);
      };
      // A standby that dies while it loads or while it waits is replaced by a fresh one, once.
      if (!sandbox?.alive) return replace();
      sandbox.onLost = replace;
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
      const opened = await this.openScript(script.source);
      return opened.ok ? opened.value : null;
    } catch {
      return null;
    }
  }

  /** Terminates every sandbox. */
  dispose(): void {
    this.disposed = true;
    void this.spare?.then((s) => s.ok && s.value.terminate());
    this.spare = null;
    this.active?.terminate();
    this.active = null;
    void this.standby?.then((s) => s?.terminate());
    this.standby = null;
  }
}
