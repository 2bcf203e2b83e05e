/**
 * The sandbox as the repository's own Vite-built pages (the demo player, the admin's dry run) spawn
 * it: Vite bundles `sandbox.worker.ts` into a worker file and copies the engine's WebAssembly, and
 * these imports give their URLs. The package's library never imports this file (a plain esbuild
 * build could not read these imports); it ships both files prebuilt instead (see `browser-worker.ts`).
 */
import workerUrl from './sandbox.worker.ts?worker&url';
import engineUrl from '@jitl/quickjs-wasmfile-release-sync/wasm?url';
import { browserSandbox } from './browser-worker.ts';

/** Spawns a sandbox worker from the files Vite built. */
export const viteSandbox = browserSandbox({ worker: workerUrl, engine: engineUrl });
