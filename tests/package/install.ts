/**
 * The `patchcast` package as a game gets it: `npm pack` of this repository (lib/ built first by
 * scripts/package-build.mjs, which skips the work when nothing changed), then installed into a fresh
 * directory's node_modules from the tarball — offline, as tests run in a loopback-only namespace:
 * the tarball is extracted as `node_modules/patchcast`, and each dependency it declares is linked
 * from this repository's own node_modules (what `npm install` would fetch, already fetched by the
 * repository's install). Nothing of the repository's sources is reachable from there.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as v from 'valibot';
import { buildPackage } from '../../scripts/package-build.mjs';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '..', '..');

const PackageJson = v.object({
  name: v.literal('patchcast'),
  dependencies: v.record(v.string(), v.string()),
});

/** Packs the package into `dir`; returns the tarball's path. */
export async function packPackage(dir: string): Promise<string> {
  await buildPackage({ root: REPO });
  // lib/ is fresh now: the prepack build would only find that out again.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {
    cwd: REPO,
  });
  const name = stdout.trim().split('\n').at(-1);
  if (!name?.endsWith('.tgz')) throw new Error(`npm pack printed no tarball: ${stdout}`);
  return join(dir, name);
}

/**
 * Installs `tarball` into `<project>/node_modules/patchcast`, with its declared dependencies and
 * the `extra` packages (build tools of the project) linked from this repository's node_modules.
 */
export async function installTarball(
  project: string,
  tarball: string,
  extra: readonly string[] = [],
): Promise<void> {
  const modules = join(project, 'node_modules');
  mkdirSync(modules, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', modules]);
  renameSync(join(modules, 'package'), join(modules, 'patchcast'));
  const manifest = v.parse(
    PackageJson,
    JSON.parse(readFileSync(join(modules, 'patchcast', 'package.json'), 'utf8')),
  );
  for (const name of [...Object.keys(manifest.dependencies), ...extra]) {
    const link = join(modules, name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', name), link, 'dir');
  }
  const bin = join(modules, '.bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(join('..', 'patchcast', 'bin', 'patchcast.mjs'), join(bin, 'patchcast'));
}
