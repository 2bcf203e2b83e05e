// Node 20 can't start a worker from a .ts file, even with `--import tsx`. In a checkout whose
// compiled CLI is fresh (`scripts/cli-build.mjs` builds the worker beside it), this starts the
// compiled worker: loading tsx in the thread would cost about a second of CPU per sandbox. Otherwise
// it registers tsx in the worker thread, then loads the TypeScript worker.
import { existsSync } from 'node:fs';

const cliBuild = new URL('../../scripts/cli-build.mjs', import.meta.url);
const compiled = existsSync(cliBuild) ? (await import(cliBuild.href)).compiledWorker() : null;
if (compiled) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./sandbox.node-worker.ts');
}
