/** Bytes of WebAssembly memory one sandbox may use by default: its hard ceiling (64 MiB). */
export declare const DEFAULT_MEMORY_BYTES: number;
/** JSON reviver for the engine's spelling of non-finite numbers in a result (see `engine.ts`). */
export declare function reviveNonFinite(_key: string, value: unknown): unknown;
/** Where a reply goes: the page's end of a fresh channel (a browser or a `worker_threads` port). */
export interface ReplyPort {
    postMessage(message: unknown): void;
    close(): void;
}
/** Page → worker. `start` comes first, once; then `load`, once; then `call`s and `ping`s. */
export type SandboxRequest = {
    readonly kind: 'start';
    /** The compiled engine (browser pages compile it once), or null: the worker loads its own. */
    readonly wasm: WebAssembly.Module | null;
    readonly memoryBytes: number;
} | {
    readonly kind: 'load';
    readonly source: string;
    readonly budgetMs: number;
} | {
    readonly kind: 'call';
    readonly name: string;
    /** The arguments as a JSON array. */
    readonly args: string;
    readonly budgetMs: number;
} | {
    readonly kind: 'ping';
};
/** Why a request failed: the script's own doing, one of its limits, or the sandbox itself. */
export declare const Fault: {
    readonly SCRIPT: "script";
    readonly TIMEOUT: "timeout";
    readonly MEMORY: "memory";
    readonly HOST: "host";
};
/** See {@link Fault}. */
export type Fault = (typeof Fault)[keyof typeof Fault];
/** Worker → page, on the request's port. `value`: the names a module exports, or a result's JSON. */
export type SandboxReply = {
    readonly ok: true;
    readonly value: unknown;
} | {
    readonly ok: false;
    readonly fault: Fault;
    readonly error: string;
};
/** A reply as the page reads it: a {@link SandboxReply}, or `junk` (the worker broke the protocol). */
export type ParsedReply = SandboxReply | {
    readonly ok: 'junk';
};
/** Reads one reply; anything but an object of the shape above is junk. Never throws. */
export declare function parseReply(data: unknown): ParsedReply;
/** The exported function names of a `load` reply, or null when the value isn't a list of names. */
export declare function parseExportNames(value: unknown): string[] | null;
/** A request as the worker reads it (the page is trusted, but a port must still be a port). */
export declare function parseRequest(data: unknown): {
    readonly request: SandboxRequest;
    readonly port: ReplyPort;
} | null;
