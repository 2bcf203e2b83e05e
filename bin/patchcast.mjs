#!/usr/bin/env node
// The `patchcast` command. The CLI is TypeScript; tsx compiles it on load, so there is no build step
// between a fresh clone and `npx patchcast`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../signaling/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
