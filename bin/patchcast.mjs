#!/usr/bin/env node
// The `patchcast` command. In a checkout it runs the CLI compiled to JavaScript by `npm run build`
// (scripts/cli-build.mjs, into build/cli/), rebuilt here first when a source changed since; where it
// cannot be built (no esbuild, a read-only checkout), tsx compiles the TypeScript on load instead.
// In the installed package there are no sources: it runs lib/cli.mjs (scripts/package-build.mjs).
// The process exits when the command returns: nothing a command left open (the PeerJS server's
// timers, a keep-alive socket) keeps it waiting.
import { existsSync } from 'node:fs';

let main;
if (!existsSync(new URL('../scripts/cli-build.mjs', import.meta.url))) {
  ({ main } = await import('../lib/cli.mjs'));
} else {
  const { compiledCli } = await import('../scripts/cli-build.mjs');
  const compiled = await compiledCli();
  if (compiled) ({ main } = await import(compiled));
  else {
    const { register } = await import('tsx/esm/api');
    register();
    ({ main } = await import('../signaling/cli/main.ts'));
  }
}
process.exit(await main(process.argv.slice(2)));
