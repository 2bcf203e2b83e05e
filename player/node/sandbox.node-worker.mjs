// Node 20 can't start a worker from a .ts file, even with `--import tsx`: this bootstrap registers
// tsx in the worker thread, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./sandbox.node-worker.ts');
