/**
 * The worker side of the sandbox, shared by the browser worker and the Node one: it starts the
 * engine, loads one script, and answers each request on the port that came with it. It holds no
 * timers and no listeners but the one below, so when it has answered, the worker is idle until the
 * page asks again. The script never sees any of this: it lives inside the engine (`engine.ts`).
 */
import { ScriptEngine } from './engine.ts';
import { Fault, parseRequest, type LoadTrial, type SandboxReply, type SandboxRequest } from './wire.ts';

/** The worker's own end of its channel to the page (`self`, or a `worker_threads` port adapter). */
export interface WorkerScope {
  addEventListener(type: 'message', listener: (event: Event) => void): void;
}

/** Starts an engine; tests pass their own. */
export type OpenEngine = (wasm: WebAssembly.Module | null, memoryBytes: number) => Promise<ScriptEngine>;

function hostFault(error: unknown): SandboxReply {
  const message = error instanceof Error ? error.message : 'unknown error';
  return { ok: false, fault: Fault.HOST, error: `the sandbox failed: ${message}` };
}

/** A trial: the function `name`, called once per item of `calls`, in order. */
type Trial = Pick<LoadTrial, 'calls' | 'chain' | 'budgetMs'> & { readonly name: string };

/** Runs a trial's calls in order, each under the budget; stops at the first failure. */
function trial(engine: ScriptEngine, request: Trial): SandboxReply {
  const results: (string | undefined)[] = [];
  for (let at = 0; at < request.calls.length; at++) {
    let args = request.calls[at]!;
    if (request.chain && at > 0) {
      // The result before goes in as the first argument, as JSON data (the page checks every result
      // in order, so a bad one fails the trial at its own call whatever the next one made of it).
      const list: unknown = JSON.parse(args);
      if (!Array.isArray(list)) {
        return { ok: false, fault: Fault.HOST, error: 'trial arguments are not a list', at, value: results };
      }
      const previous = results[at - 1];
      list[0] = previous === undefined ? null : JSON.parse(previous);
      args = JSON.stringify(list);
    }
    const called = engine.call(request.name, args, request.budgetMs);
    if (!called.ok) return { ok: false, fault: called.fault, error: called.error, at, value: results };
    results.push(called.value);
  }
  return { ok: true, value: results };
}

/** Serves requests from `scope` until the worker is terminated. */
export function serveSandbox(
  scope: WorkerScope,
  openEngine: OpenEngine = (wasm, memoryBytes) => ScriptEngine.open(wasm, { memoryBytes }),
): void {
  let engine: Promise<ScriptEngine> | null = null;
  // One request at a time, in order (the page never sends a second before the first is answered).
  let queue: Promise<void> = Promise.resolve();

  async function answer(request: SandboxRequest): Promise<SandboxReply> {
    if (request.kind === 'start') {
      if (engine) return { ok: false, fault: Fault.HOST, error: 'the sandbox was already started' };
      engine = openEngine(request.wasm, request.memoryBytes);
      await engine;
      return { ok: true, value: null };
    }
    if (!engine) return { ok: false, fault: Fault.HOST, error: 'the sandbox was not started' };
    const running = await engine;
    switch (request.kind) {
      case 'ping':
        return { ok: true, value: null };
      case 'load': {
        const loaded = running.load(request.source, request.budgetMs);
        if (!loaded.ok) return { ok: false, fault: loaded.fault, error: loaded.error };
        if (!request.trial) return loaded;
        // The trial in the same round trip: the first of its entries the module exports.
        const exports = loaded.value;
        const name = request.trial.entries.find((entry) => exports.includes(entry));
        if (name === undefined) return { ok: true, value: { exports, results: [] } };
        const tried = trial(running, { ...request.trial, name });
        return tried.ok ? { ok: true, value: { exports, results: tried.value } } : tried;
      }
      case 'call': {
        const called = running.call(request.name, request.args, request.budgetMs);
        return called.ok
          ? { ok: true, value: called.value }
          : { ok: false, fault: called.fault, error: called.error };
      }
      case 'trial':
        return trial(running, request);
    }
  }

  scope.addEventListener('message', (event) => {
    // A browser MessageEvent, or Comlink's `{ data }` from a Node port: only `data` is read.
    const parsed = parseRequest(Reflect.get(event, 'data'));
    if (!parsed) return;
    queue = queue.then(async () => {
      const reply = await answer(parsed.request).catch(hostFault);
      try {
        parsed.port.postMessage(reply);
      } finally {
        parsed.port.close();
      }
    });
  });
}
