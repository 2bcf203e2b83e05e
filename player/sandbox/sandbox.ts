/**
 * The page side of the script sandbox: one script in one fresh worker, reached through Comlink. Every
 * call has a time budget kept by the page (a script stuck in `while (true) {}` can't be interrupted
 * from inside its worker, so the page terminates the worker), and every answer is checked here
 * before it is believed. A sandbox that failed once is terminated and stays dead: callers start a
 * fresh one (see `logic-host.ts` for the game's standby, `dryRun` for the admin's rehearsal).
 */
import { wrap, type Endpoint, type Remote } from 'comlink';
import { ErrorCode, fail, ok } from '../../protocol/errors.ts';
import { MAX_ERROR_TEXT } from '../../protocol/limits.ts';
import { checkBall, type Ball, type World } from './contract.ts';
import type { SandboxApi } from './sandbox-api.ts';
import { spawnBrowserSandbox } from './browser-worker.ts';

/** A worker running the sandbox API, as the page holds it. */
export interface SandboxWorker {
  readonly endpoint: Endpoint;
  terminate(): void;
}

/** Starts a fresh sandbox worker. */
export type SpawnSandbox = () => SandboxWorker;

/**
 * Default time budget of one `update` call. Generous next to a frame on purpose: it catches hangs,
 * not slowness, and a busy machine (two cores, software WebGL) can delay an honest reply by tens of
 * milliseconds. The frame loop never waits for the call either way.
 */
export const DEFAULT_STEP_BUDGET_MS = 200;
/** Default time budget for evaluating a script module (its top-level code). */
export const DEFAULT_LOAD_BUDGET_MS = 3_000;

/** Options of {@link ScriptSandbox.open}. */
export interface SandboxOptions {
  /** Budget of one `update` call, in ms (default {@link DEFAULT_STEP_BUDGET_MS}). */
  readonly budgetMs?: number;
  /** Budget for loading the module, in ms (default {@link DEFAULT_LOAD_BUDGET_MS}). */
  readonly loadBudgetMs?: number;
  /** Starts the worker (default: a browser module worker). */
  readonly spawn?: SpawnSandbox;
}

/**
 * A script failure as the sandbox reports it: code `BAD_SCRIPT`, a message for people and acks, and
 * whether it was a timeout. A timeout may be the machine's fault (a starved worker thread looks
 * exactly like a hung one), so callers don't hold it against the script for ever; a throw or a junk
 * answer is the script's own.
 */
export interface ScriptFailure {
  readonly ok: false;
  readonly code: typeof ErrorCode.BAD_SCRIPT;
  readonly message: string;
  readonly timedOut: boolean;
}

/** A value, or a {@link ScriptFailure}. */
export type ScriptResult<T> = { readonly ok: true; readonly value: T } | ScriptFailure;

function badScript(message: string, timedOut = false): ScriptFailure {
  return { ...fail(ErrorCode.BAD_SCRIPT, message.slice(0, MAX_ERROR_TEXT)), timedOut };
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

type Outcome<T> = { readonly settled: true; readonly value: T } | { readonly settled: false };

/**
 * Waits for `call` at most `ms`. When the timer fires, the page may just have been busy (a long
 * frame) while the reply sat in the queue, so it looks once more after a task before giving up.
 */
async function withinBudget<T>(call: Promise<T>, ms: number): Promise<Outcome<T>> {
  let outcome: Outcome<T> = { settled: false };
  const settled = call.then((value) => {
    outcome = { settled: true, value };
    return outcome;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => {
      void nextTask().then(() => resolve(outcome));
    }, ms);
  });
  try {
    return await Promise.race([settled, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** One script in one worker. */
export class ScriptSandbox {
  private readonly worker: SandboxWorker;
  private readonly remote: Remote<SandboxApi>;
  private readonly budgetMs: number;
  private dead = false;
  private busy = false;

  private constructor(worker: SandboxWorker, budgetMs: number) {
    this.worker = worker;
    this.remote = wrap<SandboxApi>(worker.endpoint);
    this.budgetMs = budgetMs;
  }

  /** Loads `source` in a fresh worker; fails (and terminates the worker) if it doesn't load in time. */
  static async open(source: string, options: SandboxOptions = {}): Promise<ScriptResult<ScriptSandbox>> {
    let worker: SandboxWorker;
    try {
      worker = (options.spawn ?? spawnBrowserSandbox)();
    } catch (error) {
      return badScript(`could not start the sandbox worker: ${String(error)}`);
    }
    const sandbox = new ScriptSandbox(worker, options.budgetMs ?? DEFAULT_STEP_BUDGET_MS);
    const loadBudget = options.loadBudgetMs ?? DEFAULT_LOAD_BUDGET_MS;
    const outcome = await withinBudget(
      sandbox.remote.load(source).then(
        (answer) => answer,
        (error: unknown) => ({ ok: false as const, error: `the sandbox failed: ${String(error)}` }),
      ),
      loadBudget,
    );
    if (!outcome.settled) {
      sandbox.terminate();
      return badScript(`loading the script took longer than ${loadBudget} ms (stopped)`, true);
    }
    // The answer's shape is checked too: the script may have replaced the worker's messaging.
    const answer: unknown = outcome.value;
    if (typeof answer !== 'object' || answer === null || Reflect.get(answer, 'ok') !== true) {
      sandbox.terminate();
      const error: unknown =
        typeof answer === 'object' && answer !== null ? Reflect.get(answer, 'error') : null;
      return badScript(typeof error === 'string' ? error : 'the script did not load');
    }
    return ok(sandbox);
  }

  /** True until the sandbox is terminated (by a failure or by its owner). */
  get alive(): boolean {
    return !this.dead;
  }

  /**
   * Calls `update(ball, world, dt)` once. A call that throws, runs past the budget or returns
   * anything but a well-formed ball fails and terminates the sandbox. One call at a time.
   */
  async step(ball: Ball, world: World, dt: number): Promise<ScriptResult<Ball>> {
    if (this.dead) return badScript('the sandbox was terminated');
    if (this.busy) return badScript('a call is already running');
    this.busy = true;
    try {
      const outcome = await withinBudget(
        this.remote.step(ball, world, dt).then(
          (answer) => answer,
          (error: unknown) => ({ ok: false as const, error: `the sandbox failed: ${String(error)}` }),
        ),
        this.budgetMs,
      );
      if (this.dead) return badScript('the sandbox was terminated');
      const result = outcome.settled
        ? this.check(outcome.value)
        : badScript(`update() took longer than ${this.budgetMs} ms (stopped)`, true);
      if (!result.ok) this.terminate();
      return result;
    } finally {
      this.busy = false;
    }
  }

  private check(answer: unknown): ScriptResult<Ball> {
    if (typeof answer !== 'object' || answer === null) return badScript('the sandbox answered junk');
    if (Reflect.get(answer, 'ok') !== true) {
      const error: unknown = Reflect.get(answer, 'error');
      return badScript(typeof error === 'string' ? error : 'update() failed');
    }
    const ball = checkBall(Reflect.get(answer, 'ball'));
    return ball.ok ? ball : badScript(ball.message);
  }

  /** Stops the worker now; pending and later calls fail. */
  terminate(): void {
    if (this.dead) return;
    this.dead = true;
    this.worker.terminate();
  }
}
