/**
 * The sandbox worker in Node (the Node adapter's; `patchcast play` and tests): the same engine, loop
 * and lockdown as the browser worker, over a `worker_threads` port. The spawner hands it the
 * compiled engine (see `node-sandbox.ts`); without one it reads its WebAssembly file itself.
 */
import { parentPort } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { serveSandbox } from '../sandbox/serve.ts';
import { lockDown } from '../sandbox/lockdown.ts';

if (!parentPort) throw new Error('sandbox.node-worker must run in a worker thread');

const { remaining } = lockDown(globalThis);
if (remaining.length > 0) throw new Error(`lockdown left ${remaining.join(', ')}`);
serveSandbox(nodeEndpoint(parentPort));
