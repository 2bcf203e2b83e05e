#!/usr/bin/env node
// The `patchcast` CLI compiled to JavaScript, so running it costs no TypeScript compile.
// `npm run build` builds it (scripts/build.mjs; or run this file alone); `bin/patchcast.mjs` asks
// `compiledCli()` for the compiled entry, which rebuilds it first when a source changed since (a dev
// checkout, another engineer's edit), so the bin never runs stale code.
//
// The bundle starts at signaling/cli/main.ts and follows its imports, wherever the code lives. npm
// packages stay imports, resolved from node_modules at run time (sharp and node-datachannel are native),
// except a few small pure-JavaScript ones every command loads (BUNDLED_PACKAGES).
// What the CLI loads with `await import()` (the relay, for `serve`) lands in chunks of its own, so a
// `publish` never loads express or PeerJS. Beside the output, a manifest lists every source file the
// bundle was made from, and every file it wrote, with its size and mtime, and the root it was built
// at (a copied or moved checkout is rebuilt: the bundle names absolute paths): the freshness check is a
// stat per file (~1 ms), and a build whose sources changed, or whose own files did (truncated,
// edited), is rebuilt before it runs. The build lives in the checkout (build/cli/), writable only by
// who can write the sources: the compiled sandbox worker it starts is no easier to swap than the
// sandbox's source.
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository this file belongs to. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The entry point, relative to the root: everything the CLI runs is reached from it. */
export const CLI_ENTRY = 'signaling/cli/main.ts';
/**
 * The Node sandbox's worker, compiled beside the CLI (`sandbox.node-worker.mjs`): a worker thread
 * can't share the CLI's loaded modules, and its TypeScript twin registers tsx in the thread, which
 * cost a `publish`'s dry run about a second of CPU. `player/node/sandbox.node-worker.mjs` starts
 * this one while it is fresh ({@link compiledWorker}).
 */
export const WORKER_ENTRY = 'player/node/sandbox.node-worker.ts';
/** Where the compiled CLI goes, relative to the root (gitignored). */
export const CLI_OUT_DIR = join('build', 'cli');
const MANIFEST_FORMAT = 3;
/**
 * Packages bundled in: pure JavaScript that every command loads. Loading ws and valibot from
 * node_modules (resolution, CommonJS detection) costs a `publish` about 0.1 s of CPU, a fifth of all.
 * Every other package stays an import: native ones must, and the relay's load only for `serve`.
 */
const BUNDLED_PACKAGES = new Set([
  'ws',
  'valibot',
  // The sandbox worker's: resolving them from node_modules in the fresh thread cost the dry run's
  // worker about a tenth of its start.
  'comlink',
  'quickjs-emscripten-core',
  '@jitl/quickjs-wasmfile-release-sync',
]);
/**
 * The name the compiled CLI knows its compiled worker by: `player/node/node-sandbox.ts` starts that
 * file directly (the bin checked the build's freshness as it started), not the bootstrap beside its
 * source, which would check every source again in the thread before loading the same file.
 */
const WORKER_DEFINE = '__PATCHCAST_SANDBOX_WORKER__';

/** The package a bare import names (`@scope/name/sub` → `@scope/name`), or null for a path. */
function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? null);
}

/**
 * esbuild plugin: what the sources say about where they are stays true in the bundle. Code that
 * finds a file beside itself (`import.meta.dirname`, `import.meta.url`: a worker script, a module
 * hook) gets its source file's place, not the bundle's. And a Vite-only import (`?worker&url`,
 * `?url`: only the repository's own pages make them, `player/sandbox/vite-sandbox.ts`) would be
 * answered with an empty URL, never used in Node.
 */
const sourcePlaces = {
  name: 'source-places',
  setup(build) {
    build.onResolve({ filter: /\?(worker&)?url$/ }, (args) => ({
      path: args.path,
      namespace: 'vite-worker-url',
    }));
    build.onLoad({ filter: /.*/, namespace: 'vite-worker-url' }, () => ({
      contents: 'export default "";',
      loader: 'js',
    }));
    // Bundled packages' files too: the engine's finds its WebAssembly file beside itself.
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.')) return undefined;
      const contents = text
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path))
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
      return { contents, loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js' };
    });
  },
};

/** esbuild plugin: every package is external except {@link BUNDLED_PACKAGES}. */
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const name = packageOf(args.path);
      if (name === null || BUNDLED_PACKAGES.has(name)) return undefined;
      // Optional native helpers that a bundled package requires inside try/catch stay external too.
      return { path: args.path, external: true };
    });
  },
};
/** Chunks of older builds are removed once this old (a CLI started before may still load them). */
const OLD_CHUNK_MS = 60 * 60 * 1000;

function paths(root) {
  const out = join(root, CLI_OUT_DIR);
  return {
    out,
    bundle: join(out, 'main.mjs'),
    worker: join(out, 'sandbox.node-worker.mjs'),
    manifest: join(out, 'manifest.json'),
  };
}

/**
 * Where the checkout is, as the manifest records it. The bundle names places in the checkout by
 * their absolute paths (the compiled worker it starts, each source's `import.meta`): a build copied
 * or moved elsewhere with its mtimes (`cp -a`, `mv`) would still run the old place's files, or none.
 * So the manifest records the root it was built at, and a build found at another root is stale.
 */
function rootOf(root) {
  try {
    return realpathSync(root);
  } catch {
    return resolve(root);
  }
}

/** Size and mtime of a file, or null when it is gone. */
function fingerprint(path) {
  try {
    const s = statSync(path);
    return { size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return null;
  }
}

/**
 * True when the compiled CLI exists, was built at this root (not in a checkout since copied or moved
 * here: see `rootOf`), every file the build wrote is as it was written, and every source it was built
 * from still has the size and mtime it had then (a source that changed, moved or vanished makes it
 * stale; a new import can only come with a change to a file already listed).
 */
export function cliIsFresh(root = REPO_ROOT) {
  const at = paths(root);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(at.manifest, 'utf8'));
  } catch {
    return false;
  }
  if (manifest?.format !== MANIFEST_FORMAT || !Array.isArray(manifest.inputs)) return false;
  // Built at another place (the checkout was copied or moved): its absolute paths name that place.
  if (manifest.root !== rootOf(root)) return false;
  if (!Array.isArray(manifest.outputs)) return false;
  if (fingerprint(at.bundle) === null) return false;
  if (manifest.worker === true && fingerprint(at.worker) === null) return false;
  // An output changed since the build (truncated, edited, replaced) is never run: rebuilt.
  for (const output of manifest.outputs) {
    const now = fingerprint(join(root, output.path));
    if (now === null || now.size !== output.size || now.mtimeMs !== output.mtimeMs) return false;
  }
  for (const input of manifest.inputs) {
    const now = fingerprint(join(root, input.path));
    if (now === null || now.size !== input.size || now.mtimeMs !== input.mtimeMs) return false;
  }
  return true;
}

function writeAtomic(path, text) {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

/** Removes chunks no longer part of the build, once they are old enough that nothing loads them. */
function pruneChunks(dir, keep) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (keep.has(path)) continue;
    const at = fingerprint(path);
    if (at !== null && Date.now() - at.mtimeMs > OLD_CHUNK_MS) rmSync(path, { force: true });
  }
}

/** Builds the CLI into `<root>/build/cli/`; returns the number of source files it is made of. */
export async function buildCli(root = REPO_ROOT) {
  const { build } = await import('esbuild');
  const at = paths(root);
  const startedAt = Date.now();
  const withWorker = fingerprint(join(root, WORKER_ENTRY)) !== null;
  const result = await build({
    absWorkingDir: root,
    // (A tree without the worker, as the build's own tests make, builds the CLI alone.)
    entryPoints: withWorker ? [CLI_ENTRY, WORKER_ENTRY] : [CLI_ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    plugins: [sourcePlaces, externalPackages],
    define: withWorker ? { [WORKER_DEFINE]: JSON.stringify(at.worker) } : {},
    // Bundled CommonJS (ws) may `require` what stays outside (its optional native helpers).
    banner: {
      js: [
        `// Generated by scripts/cli-build.mjs from ${CLI_ENTRY}: do not edit.`,
        "import { createRequire as __patchcastRequire } from 'node:module';",
        'const require = __patchcastRequire(import.meta.url);',
      ].join('\n'),
    },
    splitting: true,
    outdir: at.out,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    metafile: true,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  // Files only: a virtual module (`namespace:…`) has no file to watch.
  const files = Object.keys(result.metafile.inputs).filter((path) => !/^[a-z-]+:/.test(path));
  const inputs = files.map((path) => {
    const now = fingerprint(join(root, path));
    // A file changed while esbuild ran may be in the bundle as it was before: an impossible
    // fingerprint makes the next run build again (so does a file that vanished meanwhile).
    const settled = now !== null && now.mtimeMs < startedAt - 100;
    return { path, size: settled ? now.size : -1, mtimeMs: settled ? now.mtimeMs : -1 };
  });
  for (const expected of withWorker ? [at.bundle, at.worker] : [at.bundle]) {
    if (!result.outputFiles.some((f) => f.path === expected))
      throw new Error(`esbuild produced no ${expected}`);
  }
  // Chunks first (named by content hash: rewriting one changes nothing), the entry next, the
  // manifest last: a CLI that sees the new manifest finds everything the entry imports.
  const outputs = [...result.outputFiles].sort(
    (a, b) => Number(a.path === at.bundle) - Number(b.path === at.bundle),
  );
  for (const file of outputs) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeAtomic(file.path, file.text);
  }
  // What was written, as written: the entries and every chunk they may load.
  const written = outputs.map((file) => {
    const now = fingerprint(file.path);
    return { path: relative(root, file.path), size: now?.size ?? -1, mtimeMs: now?.mtimeMs ?? -1 };
  });
  writeAtomic(
    at.manifest,
    JSON.stringify(
      {
        format: MANIFEST_FORMAT,
        root: rootOf(root),
        entry: CLI_ENTRY,
        worker: withWorker,
        inputs,
        outputs: written,
      },
      null,
      1,
    ),
  );
  pruneChunks(join(at.out, 'chunks'), new Set(outputs.map((f) => f.path)));
  return inputs.length;
}

/**
 * The compiled CLI's URL, rebuilt first when a source changed; null when it cannot be built here
 * (no esbuild, a read-only checkout, a syntax error): the caller then runs the TypeScript with tsx.
 */
export async function compiledCli(root = REPO_ROOT) {
  if (!cliIsFresh(root)) {
    try {
      await buildCli(root);
    } catch {
      return null;
    }
  }
  return pathToFileURL(paths(root).bundle).href;
}

/**
 * The compiled sandbox worker's URL when the compiled CLI is fresh (a stat per source, ~1 ms), else
 * null: the worker then runs its TypeScript through tsx. Never builds (a worker starting up is no
 * place for a build; `patchcast` and `npm run build` make it).
 */
export function compiledWorker(root = REPO_ROOT) {
  if (!cliIsFresh(root)) return null;
  try {
    const manifest = JSON.parse(readFileSync(paths(root).manifest, 'utf8'));
    return manifest.worker === true ? pathToFileURL(paths(root).worker).href : null;
  } catch {
    return null;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const files = await buildCli();
  const where = relative(process.cwd(), paths(REPO_ROOT).out) || '.';
  console.log(`cli: compiled to ${where}/ from ${files} source files in ${Date.now() - started} ms`);
}
