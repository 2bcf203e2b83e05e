/**
 * The page's end of the wire to one sandbox worker: what a worker is to the page, and one request
 * sent on a fresh `MessageChannel` whose port is closed once its one reply (or its deadline) is in,
 * so that a worker has nowhere to speak between requests. Every reply is read by `wire.ts`'s parser
 * before anything believes it.
 */
import { Fault, parseReply, type SandboxRequest } from './wire.ts';
import { thrownText, type FailedOutcome } from './failure.ts';

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

/** What became of one request: its reply's value, or why there is none. */
export type Outcome = { readonly ok: true; readonly value: unknown } | FailedOutcome;

/** One request in flight: its outcome, and a way to settle it now (the sandbox failed meanwhile). */
export interface PendingRequest {
  readonly outcome: Promise<Outcome>;
  /** Settles the request with `outcome` unless its reply or deadline came first. */
  settle(outcome: Outcome): void;
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

/** Reads a reply off the request's port: a junk reply is the worker's fault, the script's. */
function outcomeOf(data: unknown): Outcome {
  const reply = parseReply(data);
  if (reply.ok === 'junk') return { ok: false, fault: Fault.SCRIPT, error: 'the sandbox answered junk' };
  if (reply.ok || reply.at === undefined) return reply;
  return { ok: false, fault: reply.fault, error: reply.error, at: reply.at, partial: reply.value };
}

/**
 * Sends `request` to `endpoint` with a fresh port for its reply, and waits at most `budgetMs` for
 * it. Never rejects: a request that cannot be sent fails as the sandbox's own ({@link Fault.HOST}).
 */
export function sendRequest(
  endpoint: SandboxEndpoint,
  request: SandboxRequest,
  budgetMs: number,
): PendingRequest {
  const channel = new MessageChannel();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  let resolve: (outcome: Outcome) => void = () => undefined;
  const outcome = new Promise<Outcome>((r) => (resolve = r));
  const settle = (result: Outcome): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    channel.port1.close();
    resolve(result);
  };
  channel.port1.onmessage = (event: MessageEvent<unknown>) => settle(outcomeOf(event.data));
  // When the timer fires the page may just have been busy (a long frame) while the reply sat in the
  // queue, so it looks once more after a task before giving up.
  timer = setTimeout(
    () => void nextTask().then(() => settle({ ok: false, fault: Fault.TIMEOUT, error: 'no answer' })),
    budgetMs,
  );
  try {
    endpoint.postMessage({ ...request, port: channel.port2 }, [channel.port2]);
  } catch (error) {
    settle({ ok: false, fault: Fault.HOST, error: `the request could not be sent: ${thrownText(error)}` });
  }
  return { outcome, settle };
}
