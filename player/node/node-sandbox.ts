/**
 * The Node adapter's script sandbox: a `worker_threads` worker running the same sandbox API and
 * lockdown as the browser's module Worker (`sandbox.node-worker.ts`, loaded through tsx), reached
 * through Comlink's Node endpoint. `patchcast play` runs scripts in it; unit tests of the sandbox too.
 */
import { Worker } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { SandboxWorker } from '../sandbox/sandbox.ts';

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
  // A path, not `new URL(…, import.meta.url)`: Vite rewrites that pattern into an http URL in tests.
  const worker = new Worker(join(import.meta.dirname, 'sandbox.node-worker.mjs'));
  liveWorkers.add(worker);
  worker.once('exit', () => liveWorkers.delete(worker));
  return {
    endpoint: nodeEndpoint(worker),
    terminate: () => void worker.terminate(),
    wasm: compiledEngine,
  };
}
