/**
 * The page side of the script sandbox: one script in one fresh worker, the script itself inside
 * QuickJS there (`engine.ts`). Every request goes over a fresh channel that is closed once answered;
 * every reply is parsed (`wire.ts`) and every result checked by the contract's validator before it is
 * believed; every call has a deadline kept by the page as well as by the engine. The worker is
 * terminated on any failure, on any message it sends unasked, and when a ping between calls goes
 * unanswered. A sandbox that failed once stays dead: callers start a fresh one (see `logic-host.ts`
 * for the game's standby, `dry-run.ts` for the admin's rehearsal). No method here throws or hangs.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { MAX_ERROR_TEXT } from '../../protocol/limits.ts';
import { BALL_CONTRACT, type Ball, type ScriptContract, type World } from './contract.ts';
import {
  DEFAULT_MEMORY_BYTES,
  Fault,
  parseExportNames,
  parseReply,
  reviveNonFinite,
  type SandboxRequest,
} from './wire.ts';
import { spawnBrowserSandbox } from './browser-worker.ts';

/** How the page talks to a worker: a browser `Worker`, or Comlink's adapter of a Node one. */
export interface SandboxEndpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
}

/** A worker running `serve.ts`, as the page holds it. */
export interface SandboxWorker {
  readonly endpoint: SandboxEndpoint;
  terminate(): void;
  /** The compiled engine to hand the worker (browsers compile it once per page); absent: none. */
  readonly wasm?: () => Promise<WebAssembly.Module>;
}

/** Starts a fresh sandbox worker. */
export type SpawnSandbox = () => SandboxWorker;

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

/**
 * A script failure as the sandbox reports it: code `BAD_SCRIPT`, a message for people and acks, and
 * its cause. `transient` when it may not be the script's fault — a timeout (a starved worker thread
 * looks exactly like a hung one) or a failure of the sandbox itself — so callers don't hold it
 * against the script for ever; a throw, a junk answer, or running out of memory is the script's own.
 */
export interface ScriptFailure {
  readonly ok: false;
  readonly code: typeof ErrorCode.BAD_SCRIPT;
  readonly message: string;
  readonly fault: Fault;
  readonly timedOut: boolean;
  readonly transient: boolean;
}

/** A value, or a {@link ScriptFailure}. */
export type ScriptResult<T> = { readonly ok: true; readonly value: T } | ScriptFailure;

/** A failure with its message cut to what an ack carries. */
export function scriptFailure(message: string, fault: Fault): ScriptFailure {
  return {
    ok: false,
    code: ErrorCode.BAD_SCRIPT,
    message: message.slice(0, MAX_ERROR_TEXT),
    fault,
    timedOut: fault === Fault.TIMEOUT,
    transient: fault === Fault.TIMEOUT || fault === Fault.HOST,
  };
}

/** Text for anything thrown on the page's side; never calls the value's own conversions. */
export function thrownText(error: unknown): string {
  if (error instanceof Error) {
    const message: unknown = Reflect.get(error, 'message');
    return typeof message === 'string' ? message : 'an error';
  }
  return typeof error === 'string' ? error : `a thrown ${typeof error}`;
}

/** Resolves after one round through the task queue: lets a reply that is already queued land first. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly fault: Fault;
      readonly error: string;
      readonly late?: true;
      /** A trial's failed call, and what the calls before it answered. */
      readonly at?: number;
      readonly partial?: unknown;
    };

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
  private abort: ((outcome: Outcome) => void) | null = null;
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
    contract: Pick<ScriptContract<unknown>, 'entry' | 'signature'> | null = BALL_CONTRACT,
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
    contract: Pick<ScriptContract<unknown>, 'entry' | 'signature'> | null = BALL_CONTRACT,
  ): Promise<ScriptResult<ScriptSandbox>> {
    if (this.dead) return this.dead;
    if (options.budgetMs !== undefined) this.budgetMs = options.budgetMs;
    const loadBudget = options.loadBudgetMs ?? DEFAULT_LOAD_BUDGET_MS;
    const loaded = await this.request({ kind: 'load', source, budgetMs: loadBudget }, loadBudget);
    const failure = loaded.ok ? null : this.describe(loaded, 'loading the script', loadBudget);
    const names = loaded.ok ? parseExportNames(loaded.value) : null;
    // No contract: a load check, nothing to call ('' never names an export).
    const entry = !names
      ? null
      : !contract
        ? ''
        : names.includes(contract.entry)
          ? contract.entry
          : names.includes('default')
            ? 'default'
            : null;
    if (failure || entry === null) {
      this.terminate();
      const missing =
        names && contract ? `the script does not export a function ${contract.signature}` : null;
      return failure ?? scriptFailure(missing ?? 'the sandbox answered junk', Fault.SCRIPT);
    }
    this.entry = entry;
    this.startPings();
    return { ok: true, value: this };
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
    const what = `${contract.entry}()`;
    this.busy = true;
    await this.pinging;
    const outcome = await this.request(
      { kind: 'call', name: this.entry, args: json, budgetMs: this.budgetMs },
      this.budgetMs,
    );
    this.busy = false;
    const result = outcome.ok
      ? this.check(contract, outcome.value, args)
      : this.describe(outcome, what, this.budgetMs);
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
  ): Promise<{ readonly ok: true; readonly values: T[] } | (ScriptFailure & { readonly at: number })> {
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
    const what = `${contract.entry}()`;
    // Every call before a failed one answered: those results are checked first, in order, so the
    // failure reported is the first one there was (a junk answer before a timeout, say).
    let failure: (ScriptFailure & { readonly at: number }) | null = outcome.ok
      ? null
      : { ...this.describe(outcome, what, this.budgetMs), at: outcome.at ?? 0 };
    const answered = failure ? failure.at : calls.length;
    const texts = outcome.ok ? outcome.value : outcome.partial;
    const values: T[] = [];
    if (answered > 0 && !(Array.isArray(texts) && texts.length >= answered)) {
      failure = { ...scriptFailure('the sandbox answered junk', Fault.SCRIPT), at: 0 };
    } else {
      for (let i = 0; i < answered; i++) {
        const args = chain && i > 0 ? [values[i - 1], ...(calls[i] ?? []).slice(1)] : (calls[i] ?? []);
        const result = this.check(contract, (texts as unknown[])[i], args);
        if (!result.ok) {
          failure = { ...result, at: i };
          break;
        }
        values.push(result.value);
      }
    }
    if (failure) {
      this.fail(failure);
      return failure;
    }
    this.lastAnswer = performance.now();
    return { ok: true, values };
  }

  /** Stops the worker now; pending and later calls fail. */
  terminate(): void {
    this.fail(scriptFailure('the sandbox was terminated', Fault.HOST));
  }

  private check<T>(contract: ScriptContract<T>, value: unknown, args: readonly unknown[]): ScriptResult<T> {
    let parsed: unknown;
    try {
      if (value !== undefined && typeof value !== 'string') throw new TypeError('not JSON text');
      parsed = value === undefined ? undefined : JSON.parse(value, reviveNonFinite);
    } catch {
      return scriptFailure('the sandbox answered junk', Fault.SCRIPT);
    }
    const checked = contract.check(parsed, args);
    return checked.ok ? checked : scriptFailure(checked.message, Fault.SCRIPT);
  }

  private describe(outcome: Outcome & { ok: false }, what: string, budgetMs: number): ScriptFailure {
    switch (outcome.fault) {
      case Fault.TIMEOUT:
        return scriptFailure(`${what} took longer than ${budgetMs} ms (stopped)`, Fault.TIMEOUT);
      case Fault.MEMORY:
        return scriptFailure(`${what} ran out of memory (stopped)`, Fault.MEMORY);
      default:
        return scriptFailure(outcome.error, outcome.fault);
    }
  }

  /** Sends one request on a fresh channel and waits at most `budgetMs` for its one reply. */
  private request(request: SandboxRequest, budgetMs: number): Promise<Outcome> {
    if (this.dead) return Promise.resolve({ ok: false, fault: this.dead.fault, error: this.dead.message });
    return new Promise<Outcome>((resolve) => {
      const channel = new MessageChannel();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (outcome: Outcome): void => {
        if (this.abort !== finish) return;
        this.abort = null;
        clearTimeout(timer);
        channel.port1.close();
        resolve(outcome);
      };
      this.abort = finish;
      channel.port1.onmessage = (event: MessageEvent<unknown>) => {
        const reply = parseReply(event.data);
        finish(
          reply.ok === 'junk'
            ? { ok: false, fault: Fault.SCRIPT, error: 'the sandbox answered junk' }
            : reply.ok || reply.at === undefined
              ? reply
              : { ok: false, fault: reply.fault, error: reply.error, at: reply.at, partial: reply.value },
        );
      };
      // When the timer fires the page may just have been busy (a long frame) while the reply sat in
      // the queue, so it looks once more after a task before giving up.
      timer = setTimeout(
        () => void nextTask().then(() => finish({ ok: false, fault: Fault.TIMEOUT, error: 'no answer' })),
        budgetMs,
      );
      try {
        this.worker.endpoint.postMessage({ ...request, port: channel.port2 }, [channel.port2]);
      } catch (error) {
        finish({
          ok: false,
          fault: Fault.HOST,
          error: `the request could not be sent: ${thrownText(error)}`,
        });
      }
    });
  }

  /**
   * Pings the worker whenever it has been idle for {@link PING_INTERVAL_MS}: one interval timer per
   * sandbox rather than a timer per call (the game calls 60 times a second).
   */
  private startPings(): void {
    this.lastAnswer = performance.now();
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
    this.abort?.({ ok: false, fault: failure.fault, error: failure.message });
    try {
      this.worker.terminate();
    } catch {
      // Already gone.
    }
  }
}
