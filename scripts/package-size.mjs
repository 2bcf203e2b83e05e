#!/usr/bin/env node
// `npm run size`: what the browser library costs a game, minified and gzipped (esbuild + zlib), as
// the README reports it — the whole `patchcast/player` entry (every export kept), the parts a typical
// game imports (client, script host, sandbox spawner, contracts; tree-shaken), and the sandbox's
// two files, which load beside the page (the worker when a script first runs). npm packages the
// library imports (valibot, idb-keyval; PeerJS only for the swarm) are bundled in, as a game's
// bundler would. Builds lib/ first when it is stale (scripts/package-build.mjs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { REPO_ROOT, buildPackage } from './package-build.mjs';

const lib = join(REPO_ROOT, 'lib');
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

async function bundled(contents) {
  const result = await build({
    stdin: { contents, resolveDir: lib, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].contents;
}

/** The sizes, as `[what, minified bytes, gzipped bytes]`. */
export async function measure() {
  await buildPackage();
  const rows = [];
  const whole = await bundled("export * from './player.js';");
  rows.push(['patchcast/player, every export', whole.length, gz(whole)]);
  const typical = await bundled(
    "export { browserPatchClient, ScriptHost, browserSandbox, defineContract } from './player.js';",
  );
  rows.push([
    'a typical game (client, ScriptHost, browserSandbox, defineContract)',
    typical.length,
    gz(typical),
  ]);
  for (const file of ['sandbox.worker.js', 'quickjs.wasm']) {
    const bytes = readFileSync(join(lib, file));
    rows.push([`${file} (loaded by URL)`, bytes.length, gz(bytes)]);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [what, min, zipped] of await measure())
    console.log(`${what}: ${kib(min)} min, ${kib(zipped)} min+gz`);
}
