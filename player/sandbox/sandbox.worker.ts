/**
 * The sandbox worker (browser entry). Order matters: every network, storage and timer global goes
 * first, and only then can a script be evaluated (by `load`, through a Blob URL module import).
 * Comlink needs only the scope's `addEventListener` and `postMessage`, which stay. If anything could
 * not be removed, the worker refuses to load scripts at all.
 */
import { expose } from 'comlink';
import { createSandboxApi } from './sandbox-api.ts';
import { lockDown } from './lockdown.ts';

const createObjectURL = URL.createObjectURL.bind(URL);
const revokeObjectURL = URL.revokeObjectURL.bind(URL);

async function evaluate(source: string): Promise<object> {
  const url = createObjectURL(new Blob([source], { type: 'text/javascript' }));
  try {
    const namespace: unknown = await import(/* @vite-ignore */ url);
    if (typeof namespace !== 'object' || namespace === null) throw new TypeError('not a module');
    return namespace;
  } finally {
    revokeObjectURL(url);
  }
}

const { remaining } = lockDown(self);
const refuse = () => Promise.reject(new Error(`the sandbox could not remove ${remaining.join(', ')}`));
expose(createSandboxApi(remaining.length === 0 ? evaluate : refuse));
