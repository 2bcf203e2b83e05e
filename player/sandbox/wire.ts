/**
 * The messages between the page and its sandbox worker. Every request carries a fresh `MessagePort`
 * for its one reply; the page closes that port once the reply (or the deadline) is in, so a worker
 * has nowhere to talk between calls — and anything it sends on its own scope's channel gets it
 * terminated. Nothing a worker sends is believed before {@link parseReply} has read it: the page
 * assumes the worker may be compromised and reads only plain own data properties.
 */
import { MAX_ERROR_TEXT } from '../../protocol/limits.ts';

/** Bytes of WebAssembly memory one sandbox may use by default: its hard ceiling (64 MiB). */
export const DEFAULT_MEMORY_BYTES = 64 << 20;

const NON_FINITE: Readonly<Record<string, number>> = {
  '\u0000NaN': NaN,
  '\u0000Infinity': Infinity,
  '\u0000-Infinity': -Infinity,
};

/** JSON reviver for the engine's spelling of non-finite numbers in a result (see `engine.ts`). */
export function reviveNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'string' && Object.hasOwn(NON_FINITE, value) ? NON_FINITE[value] : value;
}

/** Where a reply goes: the page's end of a fresh channel (a browser or a `worker_threads` port). */
export interface ReplyPort {
  postMessage(message: unknown): void;
  close(): void;
}

/**
 * A new script's trial calls, sent with its `load` (one round trip for both): after the module is
 * evaluated, the first of `entries` it exports is called once per item of `calls` (each call's
 * arguments as a JSON array), each within `budgetMs`, stopping at the first failure; with `chain`,
 * each call after the first takes the result of the one before as its first argument.
 */
export interface LoadTrial {
  readonly entries: readonly string[];
  readonly calls: readonly string[];
  readonly chain: boolean;
  readonly budgetMs: number;
}

/**
 * Page → worker. `start` comes first, once; then `load`, once (with a {@link LoadTrial}: answered
 * as a trial, with the module's exports); then `call`s, `trial`s and `ping`s.
 */
export type SandboxRequest =
  | {
      readonly kind: 'start';
      /** The compiled engine (browser pages compile it once), or null: the worker loads its own. */
      readonly wasm: WebAssembly.Module | null;
      readonly memoryBytes: number;
    }
  | {
      readonly kind: 'load';
      readonly source: string;
      readonly budgetMs: number;
      readonly trial?: LoadTrial;
    }
  | {
      readonly kind: 'call';
      readonly name: string;
      /** The arguments as a JSON array. */
      readonly args: string;
      readonly budgetMs: number;
    }
  | {
      /**
       * Several calls in one request (a new script's trial calls: one round trip through the page's
       * event loop instead of one per call), each within `budgetMs`, stopping at the first failure
       * (whose reply names the call, `at`). With `chain`, each call after the first takes the
       * result of the one before as its first argument. Answered with the results' JSON texts.
       */
      readonly kind: 'trial';
      readonly name: string;
      /** Each call's arguments as a JSON array. */
      readonly calls: readonly string[];
      readonly chain: boolean;
      readonly budgetMs: number;
    }
  | { readonly kind: 'ping' };

/** Why a request failed: the script's own doing, one of its limits, or the sandbox itself. */
export const Fault = {
  SCRIPT: 'script',
  TIMEOUT: 'timeout',
  MEMORY: 'memory',
  HOST: 'host',
} as const;
/** See {@link Fault}. */
export type Fault = (typeof Fault)[keyof typeof Fault];

/**
 * Worker → page, on the request's port. `value`: the names a module exports, a result's JSON, or
 * (trial) the results' JSON texts; a `load` with a trial: `{ exports, results }` (results empty when
 * it exports none of the trial's entries), and a failed trial call is answered as a trial's is.
 */
export type SandboxReply =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly fault: Fault;
      readonly error: string;
      /** A trial's failed call, and (`value`) the results of the calls before it. */
      readonly at?: number;
      readonly value?: unknown;
    };

/** A reply as the page reads it: a {@link SandboxReply}, or `junk` (the worker broke the protocol). */
export type ParsedReply = SandboxReply | { readonly ok: 'junk' };

const FAULTS: ReadonlySet<unknown> = new Set(Object.values(Fault));

/** An own data property of `value` (never a getter: a reply is plain data or it is junk). */
function own(value: object, key: string): { readonly found: boolean; readonly value: unknown } {
  const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
  return descriptor && 'value' in descriptor
    ? { found: true, value: descriptor.value }
    : { found: false, value: undefined };
}

/** Reads one reply; anything but an object of the shape above is junk. Never throws. */
export function parseReply(data: unknown): ParsedReply {
  try {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: 'junk' };
    if (Reflect.getPrototypeOf(data) !== Object.prototype) return { ok: 'junk' };
    const ok = own(data, 'ok');
    if (ok.value === true) return { ok: true, value: own(data, 'value').value };
    if (ok.value !== false) return { ok: 'junk' };
    const fault = own(data, 'fault').value;
    const error = own(data, 'error').value;
    if (!FAULTS.has(fault) || typeof error !== 'string') return { ok: 'junk' };
    const at = own(data, 'at').value;
    const text = error.slice(0, MAX_ERROR_TEXT);
    if (at === undefined) return { ok: false, fault: fault as Fault, error: text };
    if (!Number.isSafeInteger(at) || (at as number) < 0) return { ok: 'junk' };
    return {
      ok: false,
      fault: fault as Fault,
      error: text,
      at: at as number,
      value: own(data, 'value').value,
    };
  } catch {
    // A proxy, or something stranger than structured clone can make: junk all the same.
    return { ok: 'junk' };
  }
}

/** The exported function names of a `load` reply, or null when the value isn't a list of names. */
export function parseExportNames(value: unknown): string[] | null {
  if (!Array.isArray(value) || value.length > 1_000) return null;
  const names: string[] = [];
  for (const name of value) {
    if (typeof name !== 'string') return null;
    names.push(name);
  }
  return names;
}

/**
 * The value of a `load` reply that carried a trial: the module's exported function names and the
 * trial's answers; null when it is not that shape.
 */
export function parseLoadedTrial(
  value: unknown,
): { readonly exports: string[]; readonly results: unknown[] } | null {
  try {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    if (Reflect.getPrototypeOf(value) !== Object.prototype) return null;
    const exports = parseExportNames(own(value, 'exports').value);
    const results = own(value, 'results').value;
    if (!exports || !Array.isArray(results)) return null;
    return { exports, results: [...(results as unknown[])] };
  } catch {
    return null;
  }
}

/** A load's trial as the worker reads it; null when absent or malformed (`bad`). */
function parseLoadTrial(data: unknown): LoadTrial | undefined | 'bad' {
  if (data === undefined) return undefined;
  if (typeof data !== 'object' || data === null) return 'bad';
  const entries: unknown = Reflect.get(data, 'entries');
  const calls: unknown = Reflect.get(data, 'calls');
  const chain: unknown = Reflect.get(data, 'chain');
  const budgetMs: unknown = Reflect.get(data, 'budgetMs');
  const strings = (list: unknown): list is string[] =>
    Array.isArray(list) && list.every((item) => typeof item === 'string');
  if (!strings(entries) || !strings(calls) || typeof chain !== 'boolean') return 'bad';
  if (typeof budgetMs !== 'number' || !(budgetMs > 0)) return 'bad';
  return { entries, calls, chain, budgetMs };
}

/** A request as the worker reads it (the page is trusted, but a port must still be a port). */
export function parseRequest(
  data: unknown,
): { readonly request: SandboxRequest; readonly port: ReplyPort } | null {
  if (typeof data !== 'object' || data === null) return null;
  const field = (key: string): unknown => Reflect.get(data, key);
  const port = field('port');
  if (typeof port !== 'object' || port === null) return null;
  const postMessage: unknown = Reflect.get(port, 'postMessage');
  const close: unknown = Reflect.get(port, 'close');
  if (typeof postMessage !== 'function' || typeof close !== 'function') return null;
  const reply: ReplyPort = {
    postMessage: (message) => void Reflect.apply(postMessage, port, [message]),
    close: () => void Reflect.apply(close, port, []),
  };
  const budgetMs = field('budgetMs');
  const budget = typeof budgetMs === 'number' && budgetMs > 0 ? budgetMs : null;
  switch (field('kind')) {
    case 'start': {
      const wasm = field('wasm');
      const memoryBytes = field('memoryBytes');
      if (!(wasm === null || wasm instanceof WebAssembly.Module)) return null;
      if (typeof memoryBytes !== 'number' || !(memoryBytes > 0)) return null;
      return { request: { kind: 'start', wasm, memoryBytes }, port: reply };
    }
    case 'load': {
      const source = field('source');
      const trial = parseLoadTrial(field('trial'));
      if (typeof source !== 'string' || budget === null || trial === 'bad') return null;
      const request = { kind: 'load', source, budgetMs: budget } as const;
      return { request: trial ? { ...request, trial } : request, port: reply };
    }
    case 'call': {
      const name = field('name');
      const args = field('args');
      if (typeof name !== 'string' || typeof args !== 'string' || budget === null) return null;
      return { request: { kind: 'call', name, args, budgetMs: budget }, port: reply };
    }
    case 'trial': {
      const name = field('name');
      const calls = field('calls');
      const chain = field('chain');
      if (typeof name !== 'string' || !Array.isArray(calls) || budget === null) return null;
      if (typeof chain !== 'boolean' || !calls.every((c) => typeof c === 'string')) return null;
      return {
        request: { kind: 'trial', name, calls: calls as string[], chain, budgetMs: budget },
        port: reply,
      };
    }
    case 'ping':
      return { request: { kind: 'ping' }, port: reply };
    default:
      return null;
  }
}
