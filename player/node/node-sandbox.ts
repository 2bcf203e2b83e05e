/**
 * The Node adapter's script sandbox: a `worker_threads` worker running the same sandbox API and
 * lockdown as the browser's module Worker (`sandbox.node-worker.ts`, compiled, or through tsx), reached
 * through Comlink's Node endpoint. `patchcast play` runs scripts in it; unit tests of the sandbox too.
 */
import { Worker } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { SandboxWorker } from '../sandbox/sandbox.ts';

/**
 * Budget for loading a script in Node. Run from TypeScript (tests, a checkout that cannot build), the
 * worker thread compiles the sandbox's own TypeScript as it starts (tsx), which on a busy machine
 * takes seconds the page's bundled Worker never spends; the load budget covers that start too, so it
 * is wider here than the page's.
 */
export const NODE_LOAD_BUDGET_MS = 15_000;

// Set by the compiled CLI's build (`scripts/cli-build.mjs`) to its compiled worker's path.
declare const __PATCHCAST_SANDBOX_WORKER__: string | undefined;

/**
 * The worker's script: in the compiled CLI, the worker compiled beside it; elsewhere the bootstrap
 * beside this file (which starts a fresh compiled worker, else the TypeScript through tsx; in the
 * package, the compiled worker itself). A path, not `new URL(…, import.meta.url)`: Vite rewrites that
 * pattern into an http URL in tests.
 */
const WORKER_SCRIPT =
  typeof __PATCHCAST_SANDBOX_WORKER__ === 'string'
    ? __PATCHCAST_SANDBOX_WORKER__
    : join(import.meta.dirname, 'sandbox.node-worker.mjs');

/** Live workers, so a test can check that failures terminate theirs. */
export const liveWorkers = new Set<Worker>();

let compiled: Promise<WebAssembly.Module> | null = null;

/** The QuickJS engine, compiled once per process and shared with every worker (as a page does). */
function compiledEngine(): Promise<WebAssembly.Module> {
  const path = createRequire(import.meta.url).resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
  compiled ??= readFile(path).then((bytes) => WebAssembly.compile(bytes));
  return compiled;
}

/** A fresh `worker_threads` sandbox. */
export function spawnNodeSandbox(): SandboxWorker {
  const worker = new Worker(WORKER_SCRIPT);
  liveWorkers.add(worker);
  worker.once('exit', () => liveWorkers.delete(worker));
  return {
    endpoint: nodeEndpoint(worker),
    terminate: () => void worker.terminate(),
    wasm: compiledEngine,
  };
}
