/**
 * Spawns the sandbox as a browser module worker. Kept apart from `sandbox.ts` so that Node passes its
 * own spawner (a `worker_threads` worker) and never touches the browser-only parts.
 *
 * The worker starts from its own URL (never a `blob:` URL, which would inherit the page's policy), so
 * the HTTP response of that file sets its Content-Security-Policy: `default-src 'none'` from the
 * relay's static server (docs/security.md says what static hosts should send). The QuickJS engine is
 * compiled once per page — which is why the page's policy allows `'wasm-unsafe-eval'` — and each
 * worker instantiates the compiled module it is given, so the worker needs no network at all.
 */
import workerUrl from './sandbox.worker.ts?worker&url';
import engineUrl from '@jitl/quickjs-wasmfile-release-sync/wasm?url';
import type { SandboxWorker } from './sandbox.ts';

let compiled: Promise<WebAssembly.Module> | null = null;

/** The QuickJS engine, fetched and compiled once per page (a failed attempt is tried again later). */
export function compiledEngine(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const response = await fetch(new URL(engineUrl, location.href));
    if (!response.ok) throw new Error(`the script engine did not load (HTTP ${response.status})`);
    // compileStreaming needs `application/wasm`, which not every static host sends.
    return WebAssembly.compile(await response.arrayBuffer());
  })();
  compiled.catch(() => (compiled = null));
  return compiled;
}

/** A fresh module worker running `sandbox.worker.ts` (Vite bundles it at build time). */
export function spawnBrowserSandbox(): SandboxWorker {
  const worker = new Worker(new URL(workerUrl, location.href), {
    type: 'module',
    name: 'patchcast-sandbox',
  });
  return { endpoint: worker, terminate: () => worker.terminate(), wasm: compiledEngine };
}
