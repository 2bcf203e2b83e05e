#!/usr/bin/env node
// The `patchcast` command. It runs the CLI compiled to JavaScript by `npm run build`
// (scripts/cli-build.mjs, into build/cli/), rebuilt here first when a source changed since. Where it
// cannot be built (no esbuild, a read-only checkout), tsx compiles the TypeScript on load instead.
// The process exits when the command returns: nothing a command left open (the PeerJS server's
// timers, a keep-alive socket) keeps it waiting.
import { compiledCli } from '../scripts/cli-build.mjs';

const compiled = await compiledCli();
let main;
if (compiled) ({ main } = await import(compiled));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../signaling/cli/main.ts'));
}
process.exit(await main(process.argv.slice(2)));
