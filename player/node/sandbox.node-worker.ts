/**
 * The sandbox worker in Node (the Node adapter's; `patchcast play` and tests): the same API and the same lockdown as the browser worker,
 * over a `worker_threads` port, evaluating scripts through a `data:` URL import (Node has no Blob URL
 * imports). The isolation itself is proven in Chromium (`tests/browser/player-sandbox.test.ts`).
 */
import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createSandboxApi } from '../sandbox/sandbox-api.ts';
import { lockDown } from '../sandbox/lockdown.ts';

if (!parentPort) throw new Error('sandbox.node-worker must run in a worker thread');

async function evaluate(source: string): Promise<object> {
  const namespace: unknown = await import(
    `data:text/javascript;base64,${Buffer.from(source).toString('base64')}`
  );
  if (typeof namespace !== 'object' || namespace === null) throw new TypeError('not a module');
  return namespace;
}

const { remaining } = lockDown(globalThis);
if (remaining.length > 0) throw new Error(`lockdown left ${remaining.join(', ')}`);
expose(createSandboxApi(evaluate), nodeEndpoint(parentPort));
