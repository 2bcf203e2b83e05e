/**
 * The page side of the script sandbox: one script in one fresh worker, the script itself inside
 * QuickJS there (`engine.ts`). Every request goes over a fresh channel that is closed once answered;
 * every reply is parsed (`wire.ts`) and every result checked by the contract's validator before it is
 * believed; every call has a deadline kept by the page as well as by the engine. The worker is
 * terminated on any failure, on any message it sends unasked, and when a ping between calls goes
 * unanswered. A sandbox that failed once stays dead: callers start a fresh one (see `logic-host.ts`
 * for the game's standby, `dry-run.ts` for the admin's rehearsal). No method here throws or hangs.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { type Ball, type ScriptContract, type World } from './contract.js';
import { Fault } from './wire.js';
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
export declare const DEFAULT_STEP_BUDGET_MS = 200;
/** Default time budget for evaluating a script module (its top-level code). */
export declare const DEFAULT_LOAD_BUDGET_MS = 3000;
/** Time a fresh worker gets to start its engine (a cold start compiles nothing: the page did). */
export declare const START_BUDGET_MS = 10000;
/** An idle sandbox is pinged this often; nothing of the script may run between calls. */
export declare const PING_INTERVAL_MS = 1000;
/** Time an idle worker gets to answer a ping: it has nothing else to do. */
export declare const PING_BUDGET_MS = 1000;
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
export type ScriptResult<T> = {
    readonly ok: true;
    readonly value: T;
} | ScriptFailure;
/** A failure with its message cut to what an ack carries. */
export declare function scriptFailure(message: string, fault: Fault): ScriptFailure;
/** Text for anything thrown on the page's side; never calls the value's own conversions. */
export declare function thrownText(error: unknown): string;
/** One script in one worker. */
export declare class ScriptSandbox {
    private readonly worker;
    private readonly budgetMs;
    private dead;
    /** A call is in flight (pings don't count). */
    private busy;
    private pinging;
    private entry;
    private pingTimer;
    /** When the worker last answered anything (a call proves it idle between calls as well as a ping). */
    private lastAnswer;
    private abort;
    /** Called once if the sandbox dies while idle (a ping failed, or the worker spoke unasked). */
    onLost: ((failure: ScriptFailure) => void) | null;
    private constructor();
    /**
     * Starts a fresh worker and loads `source` in it; the script must export the contract's function
     * (with `contract` null, nothing is required: a load check of a slot without a known contract).
     * Fails (and terminates the worker) on any problem.
     */
    static open(source: string, options?: SandboxOptions, contract?: Pick<ScriptContract<unknown>, 'entry' | 'signature'> | null): Promise<ScriptResult<ScriptSandbox>>;
    /** True until the sandbox is terminated (by a failure or by its owner). */
    get alive(): boolean;
    /**
     * Calls the script's function once with `args` (JSON data) and checks what it returns with the
     * contract's validator. A call that throws, runs past the budget or out of memory, or returns
     * anything the validator refuses fails and terminates the sandbox. One call at a time.
     */
    call<T>(contract: ScriptContract<T>, args: readonly unknown[]): Promise<ScriptResult<T>>;
    /** The demo's contract: `update(ball, world, dt)` returns the next ball. */
    step(ball: Ball, world: World, dt: number): Promise<ScriptResult<Ball>>;
    /** Stops the worker now; pending and later calls fail. */
    terminate(): void;
    private check;
    private describe;
    /** Sends one request on a fresh channel and waits at most `budgetMs` for its one reply. */
    private request;
    /**
     * Pings the worker whenever it has been idle for {@link PING_INTERVAL_MS}: one interval timer per
     * sandbox rather than a timer per call (the game calls 60 times a second).
     */
    private startPings;
    /** Dies on its own; the owner hears of it through {@link onLost} unless a call will tell it. */
    private lose;
    private fail;
}
