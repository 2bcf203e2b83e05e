/**
 * Spawns the sandbox as a browser module worker. Kept apart from `sandbox.ts` so that Node passes its
 * own spawner (a `worker_threads` worker) and never touches the browser-only parts.
 *
 * Two files make a sandbox: the worker (`sandbox.worker.js`, prebuilt and self-contained in the
 * package's `lib/`) and the QuickJS engine (`quickjs.wasm`). No bundler-specific import reaches
 * them: by default their URLs are resolved next to the library file (`new URL(…, import.meta.url)`,
 * which Vite turns into assets and which holds for plain esbuild output when the two files are copied
 * beside the bundle); a game that puts them elsewhere says where with {@link browserSandbox}. The
 * repository's own pages pass Vite's URLs (`vite-sandbox.ts`).
 *
 * The worker starts from its own URL (never a `blob:` URL, which would inherit the page's policy), so
 * the HTTP response of that file sets its Content-Security-Policy (`default-src 'none'` from the
 * relay's static server; docs/security.md says what static hosts should send). The engine is compiled
 * once per page — which is why the page's policy allows `'wasm-unsafe-eval'` — and each worker
 * instantiates the compiled module it is given, so the worker needs no network at all.
 */
import type { SandboxWorker, SpawnSandbox } from './sandbox.ts';

/** Where the sandbox's two files are (same origin as the page: a Worker must be). */
export interface SandboxUrls {
  /** The prebuilt worker module (`patchcast/sandbox.worker.js` in the package). */
  readonly worker: string | URL;
  /** The QuickJS engine (`patchcast/quickjs.wasm` in the package). */
  readonly engine: string | URL;
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** The engine at `url`, fetched and compiled once per page (a failed attempt is tried again later). */
export function compiledEngine(url: string | URL): Promise<WebAssembly.Module> {
  const href = new URL(url, location.href).href;
  let module = compiled.get(href);
  if (!module) {
    module = (async () => {
      const response = await fetch(href);
      if (!response.ok) throw new Error(`the script engine did not load (HTTP ${response.status})`);
      // compileStreaming needs `application/wasm`, which not every static host sends.
      return WebAssembly.compile(await response.arrayBuffer());
    })();
    compiled.set(href, module);
    module.catch(() => compiled.delete(href));
  }
  return module;
}

/** The default URLs: the two files beside the library's own module. */
function besideLibrary(): SandboxUrls {
  return {
    worker: new URL('./sandbox.worker.js', import.meta.url),
    engine: new URL('./quickjs.wasm', import.meta.url),
  };
}

/** A spawner of module workers from the given URLs (the ones not given: beside the library). */
export function browserSandbox(urls: Partial<SandboxUrls> = {}): SpawnSandbox {
  return () => {
    const at = { ...besideLibrary(), ...urls };
    const worker = new Worker(new URL(at.worker, location.href), {
      type: 'module',
      name: 'patchcast-sandbox',
    });
    return { endpoint: worker, terminate: () => worker.terminate(), wasm: () => compiledEngine(at.engine) };
  };
}

/** A fresh module worker from the default URLs (see {@link browserSandbox}). */
export function spawnBrowserSandbox(): SandboxWorker {
  return browserSandbox()();
}
