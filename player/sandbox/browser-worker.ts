/**
 * Spawns the sandbox as a browser module worker. Kept apart from `sandbox.ts` so that tests in Node
 * can pass their own spawner (a `worker_threads` worker) and never touch the browser-only URL.
 */
import type { SandboxWorker } from './sandbox.ts';

/** A fresh module worker running `sandbox.worker.ts` (Vite bundles it at build time). */
export function spawnBrowserSandbox(): SandboxWorker {
  const worker = new Worker(new URL('./sandbox.worker.ts', import.meta.url), {
    type: 'module',
    name: 'patchcast-sandbox',
  });
  return { endpoint: worker, terminate: () => worker.terminate() };
}
