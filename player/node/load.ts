/**
 * Loads the Node adapter in plain Node (the `patchcast` CLI under tsx): first the module hook that
 * answers the browser sandbox's Vite-only worker-URL import (`vite-imports.mjs`), then the adapter.
 * Under Vite (vitest) the adapter may be imported directly.
 */
import { register } from 'node:module';

let hooked = false;

/** The Node adapter (`index.ts`), loaded after the hook it needs outside Vite. */
export async function loadNodeAdapter(): Promise<typeof import('./index.ts')> {
  if (!hooked) {
    register('./vite-imports.mjs', import.meta.url);
    hooked = true;
  }
  return import('./index.ts');
}
