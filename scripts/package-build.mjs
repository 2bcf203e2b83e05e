#!/usr/bin/env node
// The installable `patchcast` package's build (`npm run build:package`; `npm pack` runs it as its
// `prepack`), into lib/ (gitignored):
//   player.js            the browser library (`patchcast/player`): our code bundled, npm packages kept
//                        as imports for the game's bundler; no bundler-specific import anywhere
//                        (lib-*.js: its chunks, shared with protocol.js or loaded on demand)
//   sandbox.worker.js    the sandbox worker, self-contained (a worker loaded by URL resolves nothing)
//   quickjs.wasm         the script engine the worker runs
//   protocol.js          the wire (`patchcast/protocol`), for tools
//   node.js              the Node adapter (`patchcast/node`), headless players
//   sandbox.node-worker.mjs  its worker_threads sandbox, compiled (the checkout's twin runs tsx)
//   cli.mjs, cli-*.mjs   the `patchcast` command (relay and CLI), run by bin/patchcast.mjs
//   types/               .d.ts of the three entries (tsc), with `.js` import paths
// Nothing here knows where the repository is: every file finds its neighbours by `import.meta`.
// A manifest of the sources' sizes and mtimes lets a second build with nothing changed skip the work
// (the tests pack the package; tsc is the slow part).
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository this file belongs to. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the package's compiled files go, relative to the root. */
export const LIB_DIR = 'lib';
/** The browser library's entry. */
export const PLAYER_ENTRY = 'player/index.ts';
const MANIFEST = 'manifest.json';
const MANIFEST_FORMAT = 1;

function fingerprint(path) {
  try {
    const s = statSync(path);
    return { size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return null;
  }
}

/** Every source file under the folders the package is built from (and the build's own inputs). */
function sources(root) {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mjs|json)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) out.push(path);
    }
  };
  for (const dir of ['protocol', 'player', 'publisher', 'signaling']) walk(dir);
  out.push('scripts/package-build.mjs', 'tsconfig.json', 'tsconfig.package.json', 'package.json');
  return out.sort();
}

/** True when lib/ was built from exactly the sources there are now. */
export function packageIsFresh(root = REPO_ROOT) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, LIB_DIR, MANIFEST), 'utf8'));
  } catch {
    return false;
  }
  if (manifest?.format !== MANIFEST_FORMAT || !Array.isArray(manifest.inputs)) return false;
  const now = sources(root);
  if (now.length !== manifest.inputs.length) return false;
  return manifest.inputs.every((input, i) => {
    const at = fingerprint(join(root, input.path));
    return input.path === now[i] && at?.size === input.size && at.mtimeMs === input.mtimeMs;
  });
}

/** Rewrites `./x.ts` import paths of the emitted declarations to `./x.js`. */
function rewriteDeclarations(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) rewriteDeclarations(path);
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8');
      const fixed = text.replace(/(['"])(\.{1,2}\/[^'"]+?)\.(m?)ts\1/g, '$1$2.$3js$1');
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}

/** Builds lib/; returns what it did. `force`: even when fresh. */
export async function buildPackage({ root = REPO_ROOT, force = false, log = () => {} } = {}) {
  if (!force && packageIsFresh(root)) return 'up to date';
  const { build } = await import('esbuild');
  const lib = join(root, LIB_DIR);
  const startedAt = Date.now();
  const inputs = sources(root).map((path) => ({ path, ...fingerprint(join(root, path)) }));
  rmSync(lib, { recursive: true, force: true });
  mkdirSync(lib, { recursive: true });
  const common = {
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    logLevel: 'warning',
    legalComments: 'none',
    sourcemap: false,
  };
  await Promise.all([
    // The browser library: our files in, npm packages out (the game's bundler resolves and dedupes
    // them); `browser-worker.ts` finds the worker and the engine beside this file. Split, so that
    // what loads on demand (PeerJS, for the swarm) stays behind a dynamic import that a game which
    // never starts the swarm drops; chunks sit beside the entries, so `import.meta.url` is lib/.
    build({
      ...common,
      entryPoints: { player: PLAYER_ENTRY, protocol: 'protocol/index.ts' },
      platform: 'browser',
      target: 'es2022',
      packages: 'external',
      splitting: true,
      chunkNames: 'lib-[name]-[hash]',
      outdir: lib,
    }),
    build({
      ...common,
      entryPoints: { 'sandbox.worker': 'player/sandbox/sandbox.worker.ts' },
      platform: 'browser',
      target: 'es2022',
      minify: true,
      outdir: lib,
    }),
    build({
      ...common,
      entryPoints: {
        node: 'player/node/index.ts',
        'sandbox.node-worker': 'player/node/sandbox.node-worker.ts',
      },
      platform: 'node',
      target: 'node20',
      packages: 'external',
      outdir: lib,
      outExtension: { '.js': '.mjs' },
    }),
    // The command: chunks beside it (not in a folder), so `import.meta.dirname` is lib/ in each.
    build({
      ...common,
      entryPoints: { cli: 'signaling/cli/main.ts' },
      platform: 'node',
      target: 'node20',
      packages: 'external',
      splitting: true,
      chunkNames: 'cli-[name]-[hash]',
      outdir: lib,
      outExtension: { '.js': '.mjs' },
    }),
  ]);
  const wasm = createRequire(join(root, 'package.json')).resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
  copyFileSync(wasm, join(lib, 'quickjs.wasm'));
  log(`package: bundles built in ${Date.now() - startedAt} ms`);
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.package.json'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (tsc.status !== 0) throw new Error(`tsc (declarations) failed:\n${tsc.stdout}${tsc.stderr}`);
  rewriteDeclarations(join(lib, 'types'));
  writeFileSync(join(lib, MANIFEST), JSON.stringify({ format: MANIFEST_FORMAT, inputs }, null, 1));
  log(`package: lib/ built in ${Date.now() - startedAt} ms`);
  return 'built';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  const done = await buildPackage({ force, log: (line) => console.log(line) });
  console.log(`package: ${relative(process.cwd(), join(REPO_ROOT, LIB_DIR)) || '.'}/ ${done}`);
}
