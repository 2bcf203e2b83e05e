// What `npm start` and `npm test` check before they install or build: a stamp of the dependencies
// (package.json's dependency fields and package-lock.json) that the last `npm install` saw, and a
// stamp of the site's sources that the last `npm run build` saw. Both are content hashes, so a fresh
// clone (no stamps) installs and builds, any edit rebuilds, and a `git checkout` that only touches
// mtimes rebuilds nothing. Node built-ins only: this runs before anything is installed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** The install stamp, beside npm's own record of what it installed. */
export const INSTALL_STAMP = join('node_modules', '.patchcast-install.json');
/** The build stamp, inside the build output (a clean of dist/ takes it along). */
export const BUILD_STAMP = join('dist', '.patchcast-build.json');

/** package.json fields that decide what `npm install` puts in node_modules. */
const DEPENDENCY_FIELDS = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
  'overrides',
  'workspaces',
];

/**
 * Directories that are no input of the site's build: outputs, caches, installed packages, what only
 * tests, benchmarks and people read, and the relay and its CLI (the site may not import them:
 * docs/architecture.md; the compiled CLI has a freshness check of its own, scripts/cli-build.mjs).
 */
const NOT_SOURCES = new Set([
  '.git',
  'node_modules',
  'dist',
  'build',
  '.astro',
  '.patchcast',
  'coverage',
  'tests',
  'bench',
  'docs',
  '.ci',
  'signaling',
  'bin',
]);
const NOT_SOURCE_FILE = /(\.test\.ts|\.md)$/;

/** The hash of what `npm install` installs from. */
export function dependencyHash(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const hash = createHash('sha256');
  hash.update(JSON.stringify(DEPENDENCY_FIELDS.map((field) => [field, pkg[field] ?? null])));
  const lock = join(root, 'package-lock.json');
  hash.update(existsSync(lock) ? readFileSync(lock) : 'no lockfile');
  return hash.digest('hex');
}

function sourceFiles(root, dir = root, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!NOT_SOURCES.has(entry.name)) sourceFiles(root, path, out);
    } else if (entry.isFile() && !NOT_SOURCE_FILE.test(entry.name)) {
      out.push(relative(root, path).split(sep).join('/'));
    }
  }
  return out;
}

/**
 * The hash of everything the site's build reads: every source file's path and bytes (see
 * NOT_SOURCES), the installed dependencies, and the environment it reads (PATCHCAST_BASE).
 */
export function sourceHash(root, env = process.env) {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ base: env.PATCHCAST_BASE ?? '/', deps: readStamp(root, INSTALL_STAMP) }));
  for (const file of sourceFiles(root).sort()) {
    hash.update(`\0${file}\0`);
    hash.update(readFileSync(join(root, file)));
  }
  return hash.digest('hex');
}

/** The hash a stamp file holds, or null when there is none. */
export function readStamp(root, stamp) {
  try {
    const value = JSON.parse(readFileSync(join(root, stamp), 'utf8'));
    return typeof value?.hash === 'string' ? value.hash : null;
  } catch {
    return null;
  }
}

/** Writes a stamp (atomically: a half-written stamp would read as none, which is safe anyway). */
export function writeStamp(root, stamp, hash) {
  const path = join(root, stamp);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify({ hash, at: new Date().toISOString() }));
  renameSync(temp, path);
}

/**
 * What needs doing before the relay or the tests run: `install` and `build` are each null when up
 * to date, else the reason. A build is needed whenever an install is (new packages can change it).
 */
export function decide(root, env = process.env) {
  const installed = readStamp(root, INSTALL_STAMP);
  const install = !existsSync(join(root, 'node_modules', '.package-lock.json'))
    ? 'node_modules is missing or was not installed by npm'
    : installed === null
      ? 'no install stamp yet'
      : installed !== dependencyHash(root)
        ? 'package.json or package-lock.json changed since the last install'
        : null;
  if (install) return { install, build: 'dependencies are being installed' };
  const built = readStamp(root, BUILD_STAMP);
  const build =
    built === null
      ? 'no build yet (dist/ has no build stamp)'
      : built !== sourceHash(root, env)
        ? 'sources changed since the last build'
        : null;
  return { install: null, build };
}
