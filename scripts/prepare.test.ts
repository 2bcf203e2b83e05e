/**
 * `npm start` and `npm test` skip `npm install` and `npm run build` when they would change nothing:
 * the decision of scripts/prepare.mjs on a throwaway checkout — a fresh one installs and builds, an
 * untouched one does neither, a changed source builds, a changed lockfile installs.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_STAMP, INSTALL_STAMP, decide, dependencyHash, sourceHash, writeStamp } from './stamps.mjs';

const prepare = fileURLToPath(new URL('./prepare.mjs', import.meta.url));
let root: string;

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), text);
}

/** A checkout as `git clone` leaves it: sources and a lockfile, nothing installed or built. */
async function freshClone(): Promise<void> {
  await put('package.json', JSON.stringify({ name: 'x', dependencies: { valibot: '^1.0.0' }, scripts: {} }));
  await put('package-lock.json', JSON.stringify({ lockfileVersion: 3, packages: {} }));
  await put('admin-site/pages/index.astro', '<h1>admin</h1>\n');
  await put('player/page/main.ts', 'export const a = 1;\n');
  await put('player/page/main.test.ts', 'it.todo("x");\n');
  await put('docs/notes.md', '# notes\n');
  await put('signaling/server.ts', 'export const relay = 1;\n');
}

/** What `npm install` then `npm run build` leave behind. */
async function installAndBuild(): Promise<void> {
  await put('node_modules/.package-lock.json', '{}');
  writeStamp(root, INSTALL_STAMP, dependencyHash(root));
  await mkdir(join(root, 'dist'), { recursive: true });
  writeStamp(root, BUILD_STAMP, sourceHash(root, {}));
}

async function dryRun(): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [prepare, '--dry-run', '--root', root], {
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'PATCHCAST_BASE')),
  });
  return stdout;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'patchcast-prepare-'));
  await freshClone();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('prepare: install and build only when something changed', () => {
  it('installs and builds a fresh clone', async () => {
    expect(decide(root, {})).toEqual({
      install: 'node_modules is missing or was not installed by npm',
      build: 'dependencies are being installed',
    });
    await put('node_modules/.package-lock.json', '{}');
    expect(decide(root, {}).install).toBe('no install stamp yet');
    writeStamp(root, INSTALL_STAMP, dependencyHash(root));
    expect(decide(root, {})).toEqual({ install: null, build: 'no build yet (dist/ has no build stamp)' });
  });

  it('does nothing when nothing changed, even when files were touched', async () => {
    await installAndBuild();
    expect(decide(root, {})).toEqual({ install: null, build: null });
    const later = new Date(Date.now() + 60_000);
    await utimes(join(root, 'player/page/main.ts'), later, later);
    expect(decide(root, {})).toEqual({ install: null, build: null });
    expect(await dryRun()).toBe('install: up to date\nbuild: up to date\n');
  });

  it('rebuilds after a source of the site changed (and only then: tests, docs, the relay are no input)', async () => {
    await installAndBuild();
    await put('player/page/main.test.ts', 'it.todo("y");\n');
    await put('docs/notes.md', '# more notes\n');
    await put('signaling/server.ts', 'export const relay = 2;\n');
    expect(decide(root, {}).build).toBeNull();
    await put('player/page/main.ts', 'export const a = 2;\n');
    expect(decide(root, {})).toEqual({ install: null, build: 'sources changed since the last build' });
    expect(await dryRun()).toBe('install: up to date\nbuild: sources changed since the last build\n');
    writeStamp(root, BUILD_STAMP, sourceHash(root, {}));
    await put('admin-site/pages/new.astro', '<p>new page</p>\n');
    expect(decide(root, {}).build).toBe('sources changed since the last build');
  });

  it('rebuilds for another base path', async () => {
    await installAndBuild();
    expect(decide(root, { PATCHCAST_BASE: '/games/' }).build).toBe('sources changed since the last build');
  });

  it('installs (and so rebuilds) after the lockfile or a dependency changed, not after a script did', async () => {
    await installAndBuild();
    await put(
      'package.json',
      JSON.stringify({ name: 'x', dependencies: { valibot: '^1.0.0' }, scripts: { a: 'b' } }),
    );
    expect(decide(root, {}).install).toBeNull();
    await put(
      'package-lock.json',
      JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/a': {} } }),
    );
    expect(decide(root, {})).toEqual({
      install: 'package.json or package-lock.json changed since the last install',
      build: 'dependencies are being installed',
    });
    writeStamp(root, INSTALL_STAMP, dependencyHash(root));
    // New packages can change what the build makes: the stamp of the build names the install's.
    expect(decide(root, {}).build).toBe('sources changed since the last build');
    writeStamp(root, BUILD_STAMP, sourceHash(root, {}));
    await put(
      'package.json',
      JSON.stringify({ name: 'x', dependencies: { valibot: '^1.1.0' }, scripts: {} }),
    );
    expect(decide(root, {}).install).toBe('package.json or package-lock.json changed since the last install');
  });
});
