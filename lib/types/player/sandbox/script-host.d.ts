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
import type { ScriptContract } from './contract.js';
import { type SandboxOptions, type ScriptResult } from './sandbox.js';
/** Which script is which, for acks and status: a slot's blob hash and version, or a built-in one. */
export interface ScriptIdentity {
    readonly id: string;
    readonly version: string;
}
/**
 * Trial calls before a new script takes over when the game supplies `trialArgs` and no count:
 * enough to catch a script that throws, hangs or answers junk from its first calls; a later failure
 * is caught while running and falls back the same way.
 */
export declare const DEFAULT_TRIAL_FRAMES = 3;
/**
 * A running script failed and was dropped; `now` is what runs instead (null: nothing is left).
 * `transient`: it overran its budget (which a starved machine can cause) or its sandbox failed,
 * rather than threw, ran out of memory or answered junk — not to be held against it for ever.
 */
export type OnScriptFailure = (failed: ScriptIdentity, error: string, now: ScriptIdentity | null, transient: boolean) => void;
/** Options of {@link ScriptHost}. */
export interface ScriptHostOptions<T> extends SandboxOptions {
    /**
     * The arguments of trial call `index`, given the previous trial's result (null for the first):
     * for a game whose state flows from one call to the next. Default: the contract's `samples`.
     */
    readonly trialArgs?: (index: number, previous: T | null) => readonly unknown[];
    /** Trial calls when `trialArgs` is given (default {@link DEFAULT_TRIAL_FRAMES}). */
    readonly trials?: number;
    /** Good scripts kept to fall back on (default 4, the first one included). */
    readonly keep?: number;
    readonly onFailure?: OnScriptFailure;
}
/** One script slot's scripts, run in sandboxes under one contract; see the file comment. */
export declare class ScriptHost<T> {
    readonly contract: ScriptContract<T>;
    /** Good scripts, oldest first; the last one is the active one. */
    private readonly stack;
    private active;
    private standby;
    private calling;
    private installing;
    private disposed;
    private readonly options;
    /** A worker started ahead of need: a new script skips the worker's start-up time. */
    private spare;
    private readonly spawnFresh;
    constructor(contract: ScriptContract<T>, options?: ScriptHostOptions<T>);
    private takeWorker;
    /** The script that runs now, or null before the first one is installed (or after the last failed). */
    get running(): ScriptIdentity | null;
    /** True when a call would run now: a script is active and no call is in flight. */
    get ready(): boolean;
    /**
     * Tries `source` in a fresh sandbox with the trial calls; if it holds, it becomes the running
     * script and the one before becomes the standby. Installs run one after another, in call order.
     */
    install(source: string, identity: ScriptIdentity): Promise<ScriptResult<ScriptIdentity>>;
    /** The argument lists of the trial calls, or a function making them one by one. */
    private trialCount;
    private trialArgsOf;
    private tryInstall;
    /**
     * Calls the running script once with `args` (JSON data: copied in, never shared). A failure drops
     * the script for the standby (and `onFailure` hears of it) before the failure is returned; a call
     * whose script was replaced while it ran fails without blaming anyone. Never rejects.
     */
    call(args: readonly unknown[]): Promise<ScriptResult<T>>;
    private setActive;
    /** Terminates the standby and starts a fresh one for `script` (none for null). */
    private replaceStandby;
    /** Drops the running script and promotes the standby. */
    private fail;
    /** A fresh sandbox loaded with `script` (null when it did not start). Never rejects. */
    private spawn;
    /** Terminates every sandbox. */
    dispose(): void;
}
