/**
 * The page side of the script sandbox: one script in one fresh worker, the script itself inside
 * QuickJS there (`engine.ts`). Every request goes over a fresh channel that is closed once answered
 * (`channel.ts`); every reply is parsed (`wire.ts`) and every result checked by the contract's
 * validator before it is believed (`answers.ts`); every call has a deadline kept by the page as well
 * as by the engine. The worker is terminated on any failure, on any message it sends unasked, and
 * when a ping between calls goes unanswered. A sandbox that failed once stays dead: callers start a
 * fresh one (see `script-host.ts` for the game's spare and standby, `dry-run.ts` for the admin's
 * rehearsal). No method here throws or hangs.
 */
import { BALL_CONTRACT, type Ball, type ScriptContract, type World } from './contract.ts';
import {
  DEFAULT_MEMORY_BYTES,
  Fault,
  parseExportNames,
  parseLoadedTrial,
  type SandboxRequest,
} from './wire.ts';
import { spawnBrowserSandbox } from './browser-worker.ts';
import {
  sendRequest,
  type Outcome,
  type PendingRequest,
  type SandboxWorker,
  type SpawnSandbox,
} from './channel.ts';
import { checkAnswer, checkTrial } from './answers.ts';
import {
  describeFailure,
  scriptFailure,
  thrownText,
  type ScriptFailure,
  type ScriptResult,
  type TrialFailure,
} from './failure.ts';

export type { SandboxEndpoint, SandboxWorker, SpawnSandbox } from './channel.ts';
export {
  scriptFailure,
  thrownText,
  type ScriptFailure,
  type ScriptResult,
  type TrialFailure,
} from './failure.ts';

/**
 * Default time budget of one call. Generous next to a frame on purpose: it catches hangs, not
 * slowness, and a busy machine (two cores, software WebGL) can delay an honest reply by tens of
 * milliseconds. The frame loop never waits for the call either way.
 */
export const DEFAULT_STEP_BUDGET_MS = 200;
/** Default time budget for evaluating a script module (its top-level code). */
export const DEFAULT_LOAD_BUDGET_MS = 3_000;
/** Time a fresh worker gets to start its engine (a cold start compiles nothing: the page did). */
export const START_BUDGET_MS = 10_000;
/** An idle sandbox is pinged this often; nothing of the script may run between calls. */
export const PING_INTERVAL_MS = 1_000;
/** Time an idle worker gets to answer a ping: it has nothing else to do. */
export const PING_BUDGET_MS = 1_000;

/** Options of {@link ScriptSandbox.open}. */
export interface SandboxOptions {
  /** Budget of one call, in ms (default {@link DEFAULT_STEP_BUDGET_MS}). */
  readonly budgetMs?: number;
  /** Budget for loading the module, in ms (default {@link DEFAULT_LOAD_BUDGET_MS}). */
  readonly loadBudgetMs?: number;
  /** Memory ceiling of the script's engine, in bytes (default 64 MiB). */
  readonly memoryBytes?: number;
  /** Starts the worker (default: a browser module worker). */
  readonly spawn?: SpawnSandbox;
}

/** What {@link ScriptSandbox.load} needs of a contract: the function to find, and how to name it. */
type Entry = Pick<ScriptContract<unknown>, 'entry' | 'signature'>;

/**
 * A load with trial calls that held: the sandbox, and what the calls answered. A failure is the
 * load's (no `at`) or the trial call `at`'s.
 */
export type TriedSandbox<T> =
  { readonly ok: true; readonly value: ScriptSandbox; readonly values: T[] } | ScriptFailure | TrialFailure;

/**
 * The function to call among a module's exports: the contract's entry, else a default export; ''
 * without a contract (a load check calls nothing, and '' never names an export); null: neither.
 */
function entryOf(names: readonly string[], contract: Entry | null): string | null {
  if (!contract) return '';
  if (names.includes(contract.entry)) return contract.entry;
  return names.includes('default') ? 'default' : null;
}

/** One script in one worker. */
export class ScriptSandbox {
  private dead: ScriptFailure | null = null;
  /** A call is in flight (pings don't count). */
  private busy = false;
  private pinging: Promise<void> | null = null;
  private entry = '';
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  /** When the worker last answered anything (a call proves it idle between calls as well as a ping). */
  private lastAnswer = 0;
  private pending: PendingRequest | null = null;
  /** Called once if the sandbox dies while idle (a ping failed, or the worker spoke unasked). */
  onLost: ((failure: ScriptFailure) => void) | null = null;

  private constructor(
    private readonly worker: SandboxWorker,
    private budgetMs: number,
  ) {
    // Every reply comes on its request's own port: anything on the worker's channel is unasked.
    worker.endpoint.addEventListener('message', () =>
      this.lose(scriptFailure('the sandbox sent a message it was not asked for', Fault.SCRIPT)),
    );
    worker.endpoint.addEventListener('messageerror', () =>
      this.lose(scriptFailure('the sandbox sent a message that cannot be read', Fault.SCRIPT)),
    );
    worker.endpoint.addEventListener('error', () =>
      this.lose(scriptFailure('the sandbox worker failed', Fault.HOST)),
    );
  }

  /**
   * Starts a fresh worker and loads `source` in it; the script must export the contract's function
   * (with `contract` null, nothing is required: a load check of a slot without a known contract).
   * Fails (and terminates the worker) on any problem.
   */
  static async open(
    source: string,
    options: SandboxOptions = {},
    contract: Entry | null = BALL_CONTRACT,
  ): Promise<ScriptResult<ScriptSandbox>> {
    const started = await ScriptSandbox.start(options);
    return started.ok ? started.value.load(source, options, contract) : started;
  }

  /**
   * Starts a fresh worker and its engine, with no script yet: a host starts one ahead of need, so
   * that a new script waits for neither (see `script-host.ts`). Fails (and terminates the worker)
   * on any problem.
   */
  static async start(options: SandboxOptions = {}): Promise<ScriptResult<ScriptSandbox>> {
    let sandbox: ScriptSandbox | null = null;
    let wasm: WebAssembly.Module | null = null;
    try {
      const worker = (options.spawn ?? spawnBrowserSandbox)();
      sandbox = new ScriptSandbox(worker, options.budgetMs ?? DEFAULT_STEP_BUDGET_MS);
      if (worker.wasm) wasm = await worker.wasm();
    } catch (error) {
      sandbox?.terminate();
      return scriptFailure(`could not start the sandbox: ${thrownText(error)}`, Fault.HOST);
    }
    const memoryBytes = options.memoryBytes ?? DEFAULT_MEMORY_BYTES;
    const started = await sandbox.request({ kind: 'start', wasm, memoryBytes }, START_BUDGET_MS);
    if (!started.ok) {
      sandbox.terminate();
      return scriptFailure(`could not start the sandbox: ${started.error}`, Fault.HOST);
    }
    return { ok: true, value: sandbox };
  }

  /**
   * Loads `source` in this started sandbox (once); see {@link open}. `options.budgetMs` applies to
   * the calls when given. Fails (and terminates the worker) on any problem.
   */
  async load(
    source: string,
    options: Omit<SandboxOptions, 'spawn' | 'memoryBytes'> = {},
    contract: Entry | null = BALL_CONTRACT,
  ): Promise<ScriptResult<ScriptSandbox>> {
    const loaded = await this.loadWith(source, options, contract, null);
    return loaded.ok ? { ok: true, value: this } : loaded;
  }

  /**
   * Loads `source` in this started sandbox (once) and makes the contract's trial `calls` (see
   * {@link trial}) in the same request: one round trip to the worker for both. The module gets the
   * load budget, each call the call budget, as when they go one by one; the answers are checked in
   * order by the contract's validator. Any failure terminates the worker; a trial call's names it
   * (`at`).
   */
  async loadAndTry<T>(
    source: string,
    options: Omit<SandboxOptions, 'spawn' | 'memoryBytes'>,
    contract: ScriptContract<T>,
    calls: readonly (readonly unknown[])[],
    chain: boolean,
  ): Promise<TriedSandbox<T>> {
    const loaded = await this.loadWith(source, options, contract, { contract, calls, chain });
    return loaded.ok ? { ok: true, value: this, values: loaded.values as T[] } : loaded;
  }

  private async loadWith<T>(
    source: string,
    options: Omit<SandboxOptions, 'spawn' | 'memoryBytes'>,
    contract: Entry | null,
    tried: { contract: ScriptContract<T>; calls: readonly (readonly unknown[])[]; chain: boolean } | null,
  ): Promise<{ readonly ok: true; readonly values: T[] } | ScriptFailure | TrialFailure> {
    if (this.dead) return this.dead;
    if (options.budgetMs !== undefined) this.budgetMs = options.budgetMs;
    const loadBudget = options.loadBudgetMs ?? DEFAULT_LOAD_BUDGET_MS;
    let request: SandboxRequest = { kind: 'load', source, budgetMs: loadBudget };
    if (tried && tried.calls.length > 0) {
      let calls: string[];
      try {
        calls = tried.calls.map((args) => JSON.stringify(args));
      } catch (error) {
        this.terminate();
        return scriptFailure(`the arguments could not be sent: ${thrownText(error)}`, Fault.HOST);
      }
      const entries = [tried.contract.entry, 'default'];
      request = { ...request, trial: { entries, calls, chain: tried.chain, budgetMs: this.budgetMs } };
    }
    const trialBudget = request.trial ? this.budgetMs * request.trial.calls.length : 0;
    // The page waits for the load's budget and the calls' in all: the engine stops each at its own.
    const outcome = await this.request(request, loadBudget + trialBudget);
    const fail = (failure: ScriptFailure | TrialFailure) => (this.terminate(), failure);
    if (!outcome.ok) {
      // A failed trial call (`at`) is the trial's (the answers before it checked first); any other
      // failure is the load's.
      if (outcome.at === undefined || !request.trial || !tried) {
        return fail(
          request.trial
            ? describeFailure(outcome, 'loading or trying the script', loadBudget + trialBudget)
            : describeFailure(outcome, 'loading the script', loadBudget),
        );
      }
      const checked = checkTrial(tried.contract, tried.calls, tried.chain, outcome, this.budgetMs);
      return fail(checked.ok ? scriptFailure('the sandbox answered junk', Fault.SCRIPT) : checked);
    }
    const loaded = request.trial ? parseLoadedTrial(outcome.value) : null;
    const names = request.trial ? (loaded?.exports ?? null) : parseExportNames(outcome.value);
    if (!names) return fail(scriptFailure('the sandbox answered junk', Fault.SCRIPT));
    const entry = entryOf(names, contract);
    if (entry === null) {
      const missing = `the script does not export a function ${contract?.signature ?? ''}`;
      return fail(scriptFailure(missing, Fault.SCRIPT));
    }
    let values: T[] = [];
    if (loaded && tried) {
      const answers: Outcome = { ok: true, value: loaded.results };
      const checked = checkTrial(tried.contract, tried.calls, tried.chain, answers, this.budgetMs);
      if (!checked.ok) return fail(checked);
      values = checked.values;
    }
    this.entry = entry;
    this.lastAnswer = performance.now();
    this.startPings();
    return { ok: true, values };
  }

  /** True until the sandbox is terminated (by a failure or by its owner). */
  get alive(): boolean {
    return this.dead === null;
  }

  /**
   * Calls the script's function once with `args` (JSON data) and checks what it returns with the
   * contract's validator. A call that throws, runs past the budget or out of memory, or returns
   * anything the validator refuses fails and terminates the sandbox. One call at a time.
   */
  async call<T>(contract: ScriptContract<T>, args: readonly unknown[]): Promise<ScriptResult<T>> {
    if (this.dead) return this.dead;
    if (this.busy) return scriptFailure('a call is already running', Fault.HOST);
    let json: string;
    try {
      json = JSON.stringify(args);
    } catch (error) {
      return scriptFailure(`the arguments could not be sent: ${thrownText(error)}`, Fault.HOST);
    }
    this.busy = true;
    await this.pinging;
    const outcome = await this.request(
      { kind: 'call', name: this.entry, args: json, budgetMs: this.budgetMs },
      this.budgetMs,
    );
    this.busy = false;
    const result = outcome.ok
      ? checkAnswer(contract, outcome.value, args)
      : describeFailure(outcome, `${contract.entry}()`, this.budgetMs);
    if (!result.ok) this.fail(result);
    else this.lastAnswer = performance.now();
    return result;
  }

  /** The demo's contract: `update(ball, world, dt)` returns the next ball. */
  step(ball: Ball, world: World, dt: number): Promise<ScriptResult<Ball>> {
    return this.call(BALL_CONTRACT, [ball, world, dt]);
  }

  /**
   * Makes several calls in one request (one round trip through the page's event loop, however many
   * calls): `calls` are their argument lists; with `chain`, each call after the first gets the
   * result of the one before as its first argument instead of its own. Every result is checked with
   * the contract's validator, in order, as if the calls had been made one by one (with the argument
   * each call really got); the first failure fails the trial, names its call, and terminates the
   * sandbox. Each call has the sandbox's budget.
   */
  async trial<T>(
    contract: ScriptContract<T>,
    calls: readonly (readonly unknown[])[],
    chain: boolean,
  ): Promise<{ readonly ok: true; readonly values: T[] } | TrialFailure> {
    if (this.dead) return { ...this.dead, at: 0 };
    if (this.busy) return { ...scriptFailure('a call is already running', Fault.HOST), at: 0 };
    let json: string[];
    try {
      json = calls.map((args) => JSON.stringify(args));
    } catch (error) {
      const failure = scriptFailure(`the arguments could not be sent: ${thrownText(error)}`, Fault.HOST);
      return { ...failure, at: 0 };
    }
    this.busy = true;
    await this.pinging;
    // The page waits for the calls' budgets in all: the engine stops each call at its own.
    const outcome = await this.request(
      { kind: 'trial', name: this.entry, calls: json, chain, budgetMs: this.budgetMs },
      this.budgetMs * Math.max(1, calls.length),
    );
    this.busy = false;
    const checked = checkTrial(contract, calls, chain, outcome, this.budgetMs);
    if (!checked.ok) this.fail(checked);
    else this.lastAnswer = performance.now();
    return checked;
  }

  /** Stops the worker now; pending and later calls fail. */
  terminate(): void {
    this.fail(scriptFailure('the sandbox was terminated', Fault.HOST));
  }

  /** Sends one request on a fresh channel and waits at most `budgetMs` for its one reply. */
  private request(request: SandboxRequest, budgetMs: number): Promise<Outcome> {
    if (this.dead) return Promise.resolve({ ok: false, fault: this.dead.fault, error: this.dead.message });
    const pending = sendRequest(this.worker.endpoint, request, budgetMs);
    this.pending = pending;
    return pending.outcome.then((outcome) => {
      if (this.pending === pending) this.pending = null;
      return outcome;
    });
  }

  /**
   * Pings the worker whenever it has been idle for {@link PING_INTERVAL_MS}: one interval timer per
   * sandbox rather than a timer per call (the game calls 60 times a second).
   */
  private startPings(): void {
    this.pingTimer = setInterval(() => {
      if (this.busy || this.dead || this.pinging) return;
      if (performance.now() - this.lastAnswer < PING_INTERVAL_MS) return;
      this.pinging = this.request({ kind: 'ping' }, PING_BUDGET_MS).then((outcome) => {
        this.pinging = null;
        if (outcome.ok) this.lastAnswer = performance.now();
        else this.lose(scriptFailure('the sandbox did not answer a ping between calls', Fault.HOST));
      });
    }, PING_INTERVAL_MS / 2);
  }

  /** Dies on its own; the owner hears of it through {@link onLost} unless a call will tell it. */
  private lose(failure: ScriptFailure): void {
    if (this.dead) return;
    this.fail(failure);
    if (!this.busy) this.onLost?.(failure);
  }

  private fail(failure: ScriptFailure): void {
    if (this.dead) return;
    this.dead = failure;
    clearInterval(this.pingTimer);
    this.pending?.settle({ ok: false, fault: failure.fault, error: failure.message });
    try {
      this.worker.terminate();
    } catch {
      // Already gone.
    }
  }
}
