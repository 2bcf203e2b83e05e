/**
 * Spawns the sandbox as a browser module worker. Kept apart from `sandbox.ts` so that tests in Node
 * can pass their own spawner (a `worker_threads` worker) and never touch the browser-only parts.
 *
 * The worker starts from a tiny `blob:` module that imports the bundled worker script. A worker from
 * a `blob:` URL inherits the page's Content-Security-Policy, so the player page's policy
 * (`script-src 'self' blob:`) also binds the script inside: a dynamic `import()` of any other origin
 * is refused by the browser. A worker started straight from its URL would get the policy of that
 * file's HTTP response instead, which a static host rarely sets.
 */
import workerUrl from './sandbox.worker.ts?worker&url';
import type { SandboxWorker } from './sandbox.ts';

let bootstrap: string | null = null;

/** A fresh module worker running `sandbox.worker.ts` (Vite bundles it at build time). */
export function spawnBrowserSandbox(): SandboxWorker {
  bootstrap ??= URL.createObjectURL(
    new Blob([`import ${JSON.stringify(new URL(workerUrl, location.href).href)};`], {
      type: 'text/javascript',
    }),
  );
  const worker = new Worker(bootstrap, { type: 'module', name: 'patchcast-sandbox' });
  return { endpoint: worker, terminate: () => worker.terminate() };
}
