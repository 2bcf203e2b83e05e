#!/usr/bin/env node
// Before `npm start` and `npm test`: `npm install` only when the dependencies changed since the last
// install, and `npm run build` only when the sources changed since the last build (scripts/stamps.mjs
// says which). `--dry-run` prints the decision and does nothing; `--root DIR` checks another checkout.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { INSTALL_STAMP, decide, dependencyHash, writeStamp } from './stamps.mjs';

const { values } = parseArgs({
  options: { 'dry-run': { type: 'boolean', default: false }, root: { type: 'string' } },
});
const root = resolve(values.root ?? resolve(dirname(fileURLToPath(import.meta.url)), '..'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const first = decide(root);
if (values['dry-run']) {
  console.log(`install: ${first.install ?? 'up to date'}`);
  console.log(`build: ${first.build ?? 'up to date'}`);
  process.exit(0);
}
if (first.install) {
  console.log(`prepare: npm install (${first.install})`);
  run(npm, ['install', '--no-audit', '--no-fund']);
  // After the install: npm may have rewritten the lockfile.
  writeStamp(root, INSTALL_STAMP, dependencyHash(root));
}
const { build } = first.install ? decide(root) : first;
if (build) {
  console.log(`prepare: npm run build (${build})`);
  run(npm, ['run', 'build']);
} else {
  console.log('prepare: dependencies and build are up to date');
}
