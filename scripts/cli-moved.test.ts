/**
 * A checkout copied or moved elsewhere (`cp -a`, `mv`: mtimes kept) with its compiled CLI: the
 * bundle names places in the old checkout by absolute path (the compiled sandbox worker, each
 * source's `import.meta`), so the build there must not be believed. The manifest records the root it
 * was built at; at another root the bin rebuilds before it runs. Checked end to end: a checkout built
 * at A, copied to B, A removed, and B's real bin runs `publish --dry-run` (the Node sandbox's worker)
 * against a real relay.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, TEST_OPERATOR_TOKEN, type TestServer } from '../signaling/testing/helpers.ts';
import { REPO_ROOT, cliIsFresh } from './cli-build.mjs';

/** What the CLI needs of a checkout (its sources, bin and scripts), not tests, docs or the site. */
const CHECKOUT = ['bin', 'scripts', 'protocol', 'player', 'publisher', 'signaling', 'package.json'];

let server: TestServer | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await server?.dispose();
  server = undefined;
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function bin(root: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return promisify(execFile)(process.execPath, [join(root, 'bin/patchcast.mjs'), ...argv], {
    env: { ...process.env, PATCHCAST_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout, err: stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : 1,
      out: error.stdout ?? '',
      err: error.stderr ?? '',
    }),
  );
}

describe('a copied or moved checkout', () => {
  it('rebuilds its compiled CLI, whose dry run then starts its own sandbox worker', async () => {
    const a = await mkdtemp(join(tmpdir(), 'patchcast-checkout-a-'));
    const b = await mkdtemp(join(tmpdir(), 'patchcast-checkout-b-'));
    const work = await mkdtemp(join(tmpdir(), 'patchcast-checkout-files-'));
    dirs.push(a, b, work);
    for (const name of CHECKOUT) {
      await cp(join(REPO_ROOT, name), join(a, name), {
        recursive: true,
        preserveTimestamps: true,
        filter: (path) => !['node_modules', 'build', 'lib'].includes(basename(path)),
      });
    }
    await symlink(join(REPO_ROOT, 'node_modules'), join(a, 'node_modules'));

    // Built at A (the bin builds it as it starts).
    expect((await bin(a, '--help')).out).toContain('Usage: patchcast <command>');
    expect(cliIsFresh(a)).toBe(true);

    // Copied to B as `cp -a` does (mtimes kept), and A gone: B's build named A's places.
    // (coreutils' cp: Node's `fs.cp` rounds mtimes, which would make B stale by accident.)
    await promisify(execFile)('cp', ['-a', `${a}/.`, b]);
    await rm(a, { recursive: true, force: true });
    expect(cliIsFresh(b)).toBe(false);

    server = await startTestServer();
    const key = join(work, 'arena.key.json');
    expect((await bin(b, 'keygen', '--out', key, '--room', 'arena')).code).toBe(0);
    const script = join(work, 'ai.js');
    await writeFile(script, 'export function steer(e) { return e; }\n');
    const dry = await bin(
      b,
      'publish',
      '--server',
      server.url,
      '--key',
      key,
      '--dry-run',
      '--slot',
      `enemy-ai=script:${script}`,
    );
    expect(dry.err).toBe('');
    expect(dry.out).toContain('dry run passed (1 script(s)); nothing published');
    expect(dry.code).toBe(0);
    expect(cliIsFresh(b)).toBe(true);
    const manifest = await readFile(join(b, 'build/cli/manifest.json'), 'utf8');
    expect(manifest).not.toContain(a);
  }, 180_000);
});
