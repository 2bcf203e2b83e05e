#!/usr/bin/env node
// `npm run build`: the static site (admin + player page) with Astro into dist/, the player's service
// worker, and the compiled CLI into build/cli/; then the build stamp that `npm start` and `npm test`
// compare with the sources to skip a build that would change nothing (scripts/prepare.mjs).
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_STAMP, sourceHash, writeStamp } from './stamps.mjs';
import { buildCli } from './cli-build.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function run(what, command, args, env = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`build: ${what} failed`);
    process.exit(result.status ?? 1);
  }
}

// Hashed before building: a source edited while the build runs leaves a stamp that no longer
// matches, so the next start builds again.
const hash = sourceHash(root);
run('astro build', join(root, 'node_modules', '.bin', 'astro'), ['build'], { ASTRO_TELEMETRY_DISABLED: '1' });
run('service worker', process.execPath, [join(root, 'player', 'sw', 'build-sw.mjs')]);
const started = Date.now();
const files = await buildCli();
console.log(`build: CLI compiled to build/cli/ from ${files} source files in ${Date.now() - started} ms`);
writeStamp(root, BUILD_STAMP, hash);
