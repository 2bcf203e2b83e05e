import type { PatchHandlers } from '../core/apply.js';
import { LogicHost, type LogicHostOptions } from '../sandbox/logic-host.js';
/**
 * Budget for loading a script in Node. The worker thread compiles the sandbox's own TypeScript as it
 * starts (tsx), which on a busy machine takes seconds the page's bundled Worker never spends; the
 * load budget covers that start too, so it is wider here than the page's.
 */
export declare const NODE_LOAD_BUDGET_MS = 15000;
/** The logic host and slot handlers of a headless player. */
export declare class NodeGame {
    /** Created with the first script: a player that never gets one starts no worker. */
    private host;
    private readonly options;
    constructor(options?: LogicHostOptions);
    /** The logic host, once a script was offered. */
    get logic(): LogicHost | null;
    /** The handlers to give the patch client. */
    readonly handlers: PatchHandlers;
    /** Terminates every sandbox worker. */
    dispose(): void;
}
