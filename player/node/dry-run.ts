/**
 * What a tool's dry run needs of the Node adapter and nothing more: the check of a script against
 * its declared contract (`../sandbox/declared.ts`) in the `worker_threads` sandbox. `patchcast
 * publish` loads this on demand ({@link loadNodeDryRun}), not the whole adapter (`index.ts`: the
 * player, its transports, the swarm), which it never uses.
 */
export { checkScript, type ContractCheck } from '../sandbox/declared.ts';
export { ScriptSandbox, type ScriptResult } from '../sandbox/sandbox.ts';
export { NODE_LOAD_BUDGET_MS, spawnNodeSandbox } from './node-sandbox.ts';
