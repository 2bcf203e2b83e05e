/**
 * The Node adapter's script sandbox: a `worker_threads` worker running the same sandbox API and
 * lockdown as the browser's module Worker (`sandbox.node-worker.ts`, loaded through tsx), reached
 * through Comlink's Node endpoint. `patchcast play` runs scripts in it; unit tests of the sandbox too.
 */
import { Worker } from 'node:worker_threads';
import type { SandboxWorker } from '../sandbox/sandbox.js';
/** Live workers, so a test can check that failures terminate theirs. */
export declare const liveWorkers: Set<Worker>;
/** A fresh `worker_threads` sandbox. */
export declare function spawnNodeSandbox(): SandboxWorker;
