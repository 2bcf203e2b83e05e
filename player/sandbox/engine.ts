/**
 * The script engine inside the sandbox worker: QuickJS compiled to WebAssembly, one runtime per
 * worker. A script runs in a realm that has nothing but ECMAScript itself — no `postMessage`, no
 * timers, no network, no `import()` that reaches anything — and its memory is the engine's linear
 * memory, created here with a hard maximum. An interrupt handler stops it at the call's deadline.
 * QuickJS has no event loop of its own: promise jobs a script queues run before its call returns,
 * within the deadline, and between two calls nothing of the script runs.
 *
 * Values cross as JSON text (the one format both realms parse the same way), so a getter, a proxy
 * or a `toJSON` in a result runs inside QuickJS, under the deadline, and what leaves is a string.
 */
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
} from 'quickjs-emscripten-core';
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import { DEFAULT_MEMORY_BYTES } from './wire.ts';

/** Bytes of C stack a script may use (deep recursion fails with a RangeError, not a crash). */
export const DEFAULT_STACK_BYTES = 512 << 10;
/** Longest JSON text a call may return (64 KiB): a result is a few numbers, not a data dump. */
export const MAX_RESULT_CHARS = 64 << 10;

const PAGE = 65_536;
/** QuickJS's own starting heap: the build's 16 MiB initial memory. */
const INITIAL_MEMORY_BYTES = 16 << 20;

/** Why a call did not return a value. `script`: it threw or broke a rule; the others are limits. */
export type EngineFault = 'script' | 'timeout' | 'memory';

/** A value (JSON text, or undefined when the function returned undefined), or a fault. */
export type EngineResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly fault: EngineFault; readonly error: string };

/** Limits of one engine. */
export interface EngineLimits {
  readonly memoryBytes?: number;
  readonly stackBytes?: number;
}

// Written with operators only: a script can't reach these functions (they are captured before it
// loads), and nothing they call can be replaced by it. Non-finite numbers have no JSON form; they
// cross as the strings `reviveNonFinite` (wire.ts) reads back, so that a validator on the page can
// say "returned NaN for ball.x" rather than "returned null".
// `Atomics.wait` could block the worker's thread past any interrupt: with no other thread to share
// memory with, a script has no use for either name, and loses both.
const HELPERS = `delete globalThis.Atomics; delete globalThis.SharedArrayBuffer; ({
  parse: JSON.parse,
  write: (() => {
    const stringify = JSON.stringify;
    const replacer = (k, v) => v !== v ? '\\u0000NaN' : v === Infinity ? '\\u0000Infinity' : v === -Infinity ? '\\u0000-Infinity' : v;
    return (v) => stringify(v, replacer);
  })(),
})`;

/** One QuickJS runtime running (at most) one script module. */
export class ScriptEngine {
  private deadline = Infinity;
  private exports: QuickJSHandle | null = null;

  private constructor(
    private readonly runtime: QuickJSRuntime,
    private readonly vm: QuickJSContext,
    private readonly parse: QuickJSHandle,
    private readonly write: QuickJSHandle,
  ) {
    runtime.setInterruptHandler(() => now() > this.deadline);
  }

  /**
   * Starts an engine. `wasm`: the compiled QuickJS module (a browser page compiles it once and hands
   * it to each worker); without it the engine loads its own (Node reads the file).
   */
  static async open(wasm: WebAssembly.Module | null, limits: EngineLimits = {}): Promise<ScriptEngine> {
    const memoryBytes = Math.max(limits.memoryBytes ?? DEFAULT_MEMORY_BYTES, INITIAL_MEMORY_BYTES);
    const wasmMemory = new WebAssembly.Memory({
      initial: INITIAL_MEMORY_BYTES / PAGE,
      maximum: Math.ceil(memoryBytes / PAGE),
    });
    const variant = newVariant(RELEASE_SYNC, wasm ? { wasmMemory, wasmModule: wasm } : { wasmMemory });
    const quickjs = await newQuickJSWASMModuleFromVariant(variant);
    const runtime = quickjs.newRuntime();
    runtime.setMemoryLimit(memoryBytes);
    runtime.setMaxStackSize(limits.stackBytes ?? DEFAULT_STACK_BYTES);
    const vm = runtime.newContext();
    const helpers = vm.unwrapResult(vm.evalCode(HELPERS, 'patchcast-helpers.js'));
    const engine = new ScriptEngine(runtime, vm, vm.getProp(helpers, 'parse'), vm.getProp(helpers, 'write'));
    helpers.dispose();
    return engine;
  }

  /**
   * Evaluates `source` as an ES module within `budgetMs`; returns the names of the functions it
   * exports. A module that imports anything fails: there is nothing to import.
   */
  load(source: string, budgetMs: number): EngineResult<string[]> {
    if (this.exports) return { ok: false, fault: 'script', error: 'this sandbox already runs a script' };
    return this.within<string[]>(budgetMs, 'loading the script', () => {
      const evaluated = this.vm.evalCode(source, 'script.js', { type: 'module' });
      if (evaluated.error) return this.failure(evaluated.error, 'loading the script failed: ');
      // A module with top-level `await` evaluates to a promise: settle it now, within the budget.
      const settled = this.settle(evaluated.value);
      if (!settled.ok) return settled;
      this.exports = settled.value;
      return { ok: true, value: this.functionNames(settled.value) };
    });
  }

  /**
   * Calls the exported function `name` with `argsJson` (a JSON array) within `budgetMs`; returns the
   * JSON text of its result (undefined when it returned undefined).
   */
  call(name: string, argsJson: string, budgetMs: number): EngineResult<string | undefined> {
    const exports = this.exports;
    if (!exports) return { ok: false, fault: 'script', error: 'no script loaded' };
    return this.within<string | undefined>(budgetMs, `${name}()`, () => {
      const fn = this.vm.getProp(exports, name);
      const text = this.vm.newString(argsJson);
      const parsed = this.vm.callFunction(this.parse, this.vm.undefined, text);
      text.dispose();
      const args = this.vm.unwrapResult(parsed);
      const count = this.length(args);
      const handles: QuickJSHandle[] = [];
      for (let i = 0; i < count; i++) handles.push(this.vm.getProp(args, i));
      args.dispose();
      const called = this.vm.callFunction(fn, this.vm.undefined, ...handles);
      for (const handle of handles) handle.dispose();
      fn.dispose();
      if (called.error) return this.failure(called.error, `${name}() threw `);
      const written = this.vm.callFunction(this.write, this.vm.undefined, called.value);
      called.value.dispose();
      if (written.error)
        return this.failure(written.error, `${name}() returned a value that can't be read: `);
      const out = written.value;
      try {
        // Promise jobs the call queued run now, inside the call and its deadline: none is left to
        // run between calls, and none piles up in memory call after call.
        const jobs = this.runtime.executePendingJobs();
        if (jobs.error) return this.failure(jobs.error, `${name}() queued a job that threw `);
        // An interrupted job only rejects its promise: the clock says whether the call overran.
        if (now() > this.deadline) return { ok: false, fault: 'timeout', error: 'interrupted' };
        if (this.vm.typeof(out) === 'undefined') return { ok: true, value: undefined };
        if (this.length(out) > MAX_RESULT_CHARS) {
          return {
            ok: false,
            fault: 'script',
            error: `${name}() returned more than ${MAX_RESULT_CHARS} characters of data`,
          };
        }
        return { ok: true, value: this.vm.getString(out) };
      } finally {
        out.dispose();
      }
    });
  }

  /** Frees the runtime (the worker is terminated right after; this is for Node tests and tidiness). */
  dispose(): void {
    this.exports?.dispose();
    this.parse.dispose();
    this.write.dispose();
    this.vm.dispose();
    this.runtime.dispose();
  }

  private within<T>(budgetMs: number, what: string, run: () => EngineResult<T>): EngineResult<T> {
    this.deadline = now() + budgetMs;
    try {
      return run();
    } catch (error) {
      // QuickJS itself gave up (its memory is gone, or the engine trapped): this engine is done.
      const message = error instanceof Error ? error.message : 'the engine failed';
      return {
        ok: false,
        fault: /memory/i.test(message) ? 'memory' : 'script',
        error: `${what}: ${message}`,
      };
    } finally {
      this.deadline = Infinity;
    }
  }

  private settle(value: QuickJSHandle): EngineResult<QuickJSHandle> {
    const jobs = this.runtime.executePendingJobs();
    if (jobs.error || now() > this.deadline) {
      value.dispose();
      if (jobs.error) return this.failure(jobs.error, 'loading the script failed: ');
      return { ok: false, fault: 'timeout', error: 'interrupted' };
    }
    const state = this.vm.getPromiseState(value);
    if (state.type === 'fulfilled') {
      if (state.notAPromise) return { ok: true, value };
      value.dispose();
      return { ok: true, value: state.value };
    }
    value.dispose();
    if (state.type === 'rejected') return this.failure(state.error, 'loading the script failed: ');
    return {
      ok: false,
      fault: 'script',
      error: 'the script module never finished loading (it awaits something)',
    };
  }

  /** `value.length` as a number (every handle read here is freed: calls run 60 times a second). */
  private length(value: QuickJSHandle): number {
    const handle = this.vm.getProp(value, 'length');
    try {
      return this.vm.typeof(handle) === 'number' ? this.vm.getNumber(handle) : 0;
    } finally {
      handle.dispose();
    }
  }

  /** The exported names whose values are functions (a module namespace has no getters to run). */
  private functionNames(exports: QuickJSHandle): string[] {
    const keys = this.vm.unwrapResult(this.vm.getOwnPropertyNames(exports, { strings: true }));
    const names: string[] = [];
    for (const key of keys) {
      const name = this.vm.getString(key);
      const value = this.vm.getProp(exports, key);
      if (this.vm.typeof(value) === 'function') names.push(name);
      value.dispose();
    }
    keys.dispose();
    return names;
  }

  /** A thrown value as a fault: its kind from QuickJS's own errors, its text read with care. */
  private failure(error: QuickJSHandle, prefix: string): EngineResult<never> {
    try {
      const described = this.describe(error);
      if (described === 'InternalError: interrupted') {
        return { ok: false, fault: 'timeout', error: 'interrupted' };
      }
      if (described === 'InternalError: out of memory') {
        return { ok: false, fault: 'memory', error: 'out of memory' };
      }
      return { ok: false, fault: 'script', error: `${prefix}${described}` };
    } finally {
      error.dispose();
    }
  }

  /** `Name: message` for an Error-like value, `"text"` for a string, else its type; never its code. */
  private describe(error: QuickJSHandle): string {
    const vm = this.vm;
    const type = vm.typeof(error);
    if (type === 'string') return JSON.stringify(vm.getString(error).slice(0, 400));
    if (type === 'number') return String(vm.getNumber(error));
    if (type !== 'object') return `a ${type}`;
    // Reading name and message may run getters: that is the script's code, under the deadline.
    const field = (key: string): string | null => {
      const handle = vm.getProp(error, key);
      const text = vm.typeof(handle) === 'string' ? vm.getString(handle) : null;
      handle.dispose();
      return text;
    };
    try {
      const name = field('name');
      const message = field('message');
      if (name !== null && message !== null) return `${name}: ${message}`;
    } catch {
      // A getter threw (or ran out of time): the value stays undescribed.
    }
    return 'a value that cannot be described';
  }
}

function now(): number {
  return performance.now();
}
