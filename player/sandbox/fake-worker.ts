/**
 * A fake sandbox worker for the page side's tests (`hostile-worker.test.ts`): it answers requests as
 * a real worker does (`serve.ts`), or as a test tells it to lie. Not used outside tests.
 */
import type { Ball } from './contract.ts';
import type { SandboxWorker } from './sandbox.ts';

export interface Request {
  readonly kind: string;
  readonly source?: string;
  readonly args?: string;
  readonly calls?: readonly string[];
  readonly chain?: boolean;
  readonly trial?: {
    readonly entries: readonly string[];
    readonly calls: readonly string[];
    readonly chain: boolean;
  };
}
export type Answer = (request: Request, port: MessagePort) => void;

/**
 * A trial request answered as a real worker does (`serve.ts`): its calls one by one through
 * `answer`, each as a `call` request, stopping at the first failure; with `chain`, each call gets the
 * result before as its first argument. An answer that is not a plain reply is passed on as it is.
 */
export function answerTrial(request: Request, port: MessagePort, answer: Answer): void {
  const results: unknown[] = [];
  const next = (at: number) => {
    if (at >= (request.calls ?? []).length) return port.postMessage({ ok: true, value: results });
    const list = JSON.parse(request.calls![at]!) as unknown[];
    if (request.chain && at > 0) list[0] = JSON.parse(String(results[at - 1]));
    const channel = new MessageChannel();
    channel.port1.onmessage = (event: MessageEvent<unknown>) => {
      channel.port1.close();
      const reply = event.data as { ok?: unknown; value?: unknown } | null;
      if (reply?.ok === true) {
        results.push(reply.value);
        return next(at + 1);
      }
      const plain = reply !== null && typeof reply === 'object' && reply.ok === false;
      port.postMessage(plain ? { ...reply, at, value: results } : reply);
    };
    answer({ kind: 'call', args: JSON.stringify(list) }, channel.port2);
  };
  next(0);
}

/**
 * A load that carries its trial, answered as a real worker does (`serve.ts`): the load through
 * `answer`, then (when the module exports one of the trial's entries) the trial's calls as
 * {@link answerTrial} makes them; the reply is `{ exports, results }`, or the trial's failure.
 */
export function answerLoadTrial(request: Request, port: MessagePort, answer: Answer): void {
  const loading = new MessageChannel();
  loading.port1.onmessage = (event: MessageEvent<unknown>) => {
    loading.port1.close();
    const reply = event.data as { ok?: unknown; value?: unknown } | null;
    if (reply?.ok !== true || !Array.isArray(reply.value)) return port.postMessage(reply);
    const exports = reply.value as string[];
    if (!request.trial!.entries.some((entry) => exports.includes(entry))) {
      return port.postMessage({ ok: true, value: { exports, results: [] } });
    }
    const trying = new MessageChannel();
    trying.port1.onmessage = (tried: MessageEvent<unknown>) => {
      trying.port1.close();
      const result = tried.data as { ok?: unknown; value?: unknown } | null;
      port.postMessage(
        result?.ok === true ? { ok: true, value: { exports, results: result.value } } : result,
      );
    };
    answerTrial({ kind: 'trial', ...request.trial! }, trying.port2, answer);
  };
  answer({ kind: 'load', source: request.source ?? '' }, loading.port2);
}

/** An honest answer: starts, loads (exports `update`), moves the ball one unit right per call. */
export const honest: Answer = (request, port) => {
  if (request.kind === 'load') port.postMessage({ ok: true, value: ['update'] });
  else if (request.kind === 'call') {
    const [ball] = JSON.parse(request.args ?? '[]') as [Ball];
    port.postMessage({ ok: true, value: JSON.stringify({ ...ball, x: ball.x + 1 }) });
  } else port.postMessage({ ok: true, value: null });
};

export interface Fake extends SandboxWorker {
  readonly target: EventTarget;
  terminated: boolean;
  readonly loaded: string[];
}

/** A fake worker that answers with `answer` (honest unless told otherwise). */
export function fake(answer: Answer = honest): Fake {
  const target = new EventTarget();
  const worker: Fake = {
    target,
    terminated: false,
    loaded: [],
    endpoint: {
      postMessage(message: unknown) {
        const request = message as Request & { port: MessagePort };
        if (worker.terminated) return;
        if (request.kind === 'load' && request.source) worker.loaded.push(request.source);
        if (request.kind === 'trial') answerTrial(request, request.port, answer);
        else if (request.kind === 'load' && request.trial) answerLoadTrial(request, request.port, answer);
        else answer(request, request.port);
      },
      addEventListener: (type, listener) => target.addEventListener(type, listener),
    },
    terminate() {
      worker.terminated = true;
    },
  };
  return worker;
}

/** Honest until the `n`th call, which `then` answers. */
export function turnsAt(n: number, then: Answer): Answer {
  let calls = 0;
  return (request, port) => {
    if (request.kind === 'call' && ++calls >= n) then(request, port);
    else honest(request, port);
  };
}
