#!/usr/bin/env node
// Builds the player's service worker after `astro build` (wired as npm's `postbuild`): finds the
// player page's assets — everything under `_astro/` that `play/index.html` reaches, directly or
// through other assets (chunks, the sandbox worker, CSS) — and compiles `service-worker.ts` into
// `dist/play/sw.js` with that precache list and a cache version that changes whenever they do.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../..');
const dist = resolve(root, process.env.PATCHCAST_DIST ?? 'dist');
const base = (() => {
  const b = process.env.PATCHCAST_BASE ?? '/';
  return b.endsWith('/') ? b : `${b}/`;
})();

const page = join(dist, 'play', 'index.html');
if (!existsSync(page)) {
  console.error(`build-sw: ${page} is missing; run astro build first`);
  process.exit(1);
}

const assetsDir = join(dist, '_astro');
const assets = existsSync(assetsDir) ? readdirSync(assetsDir) : [];
const textual = (name) => /\.(js|mjs|css|html)$/.test(name);

/** Asset file names mentioned in a text. */
function mentioned(text) {
  return assets.filter((name) => text.includes(name));
}

const reached = new Set();
const queue = mentioned(readFileSync(page, 'utf8'));
while (queue.length > 0) {
  const name = queue.pop();
  if (reached.has(name)) continue;
  reached.add(name);
  if (textual(name)) queue.push(...mentioned(readFileSync(join(assetsDir, name), 'utf8')));
}

const urls = [`${base}play/`, ...[...reached].sort().map((name) => `${base}_astro/${name}`)];
const hash = createHash('sha256');
hash.update(readFileSync(page));
for (const name of [...reached].sort()) hash.update(name).update(readFileSync(join(assetsDir, name)));
const version = hash.digest('hex').slice(0, 16);

await build({
  entryPoints: [join(here, 'service-worker.ts')],
  outfile: join(dist, 'play', 'sw.js'),
  bundle: true,
  format: 'iife',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  define: { __PRECACHE__: JSON.stringify(urls), __CACHE_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});
console.log(`build-sw: play/sw.js precaches ${urls.length} files (cache ${version})`);
