/**
 * The compiled CLI: built from its entry point with npm packages left as imports and lazily imported
 * code in chunks of its own; rebuilt when any source it was made from changes; and when it cannot be
 * built, `compiledCli` says so (the bin then runs the TypeScript through tsx). On a throwaway tree,
 * then the real bin.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_ENTRY, REPO_ROOT, buildCli, cliIsFresh, compiledCli } from './cli-build.mjs';

let root: string;

/** Writes a source as saved a while ago (a file saved while a build runs is never taken as built). */
async function put(path: string, text: string): Promise<void> {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), text);
  const before = new Date(Date.now() - 10_000);
  await utimes(join(root, path), before, before);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'patchcast-cli-build-'));
  await put(
    CLI_ENTRY,
    [
      "import { word } from '../../protocol/word.ts';",
      "import * as v from 'valibot';",
      "import { Registry } from 'prom-client';",
      'export async function main(argv: readonly string[]): Promise<number> {',
      "  const { heavy } = await import('../server.ts');",
      '  return v.is(v.string(), word) && Registry ? heavy(argv.length) : 1;',
      '}',
    ].join('\n'),
  );
  await put('protocol/word.ts', "export const word: string = 'one';\n");
  // The repo's packages, for the ones the build bundles in.
  await symlink(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  await put(
    'signaling/server.ts',
    "import sharp from 'sharp';\nexport const heavy = (n: number) => n + (sharp ? 0 : 0);\n",
  );
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the compiled CLI', () => {
  it('bundles from the entry point, keeps packages external (not valibot) and lazy imports in chunks', async () => {
    expect(cliIsFresh(root)).toBe(false);
    const files = await buildCli(root);
    expect(cliIsFresh(root)).toBe(true);
    const manifest = await readFile(join(root, 'build/cli/manifest.json'), 'utf8');
    for (const source of [CLI_ENTRY, 'protocol/word.ts', 'signaling/server.ts']) {
      expect(manifest).toContain(`"${source}"`);
    }
    expect(files).toBeGreaterThan(3); // valibot's own files are sources too
    const main = await readFile(join(root, 'build/cli/main.mjs'), 'utf8');
    expect(main).toContain('"one"');
    expect(main).toMatch(/from "prom-client"/);
    expect(main).not.toMatch(/from "valibot"/);
    expect(main).not.toContain('sharp');
    const chunks = await readdir(join(root, 'build/cli/chunks'));
    const server = chunks.find((c) => c.startsWith('server-'));
    if (!server) throw new Error(`no server chunk in ${chunks.join(', ')}`);
    expect(await readFile(join(root, 'build/cli/chunks', server), 'utf8')).toMatch(/from "sharp"/);
  });

  it('is stale after any source it was made from changes, and compiledCli rebuilds it', async () => {
    await buildCli(root);
    await put('protocol/word.ts', "export const word: string = 'two';\n");
    expect(cliIsFresh(root)).toBe(false);
    const url = await compiledCli(root);
    expect(url).toBe(`file://${join(root, 'build/cli/main.mjs')}`);
    expect(cliIsFresh(root)).toBe(true);
    expect(await readFile(join(root, 'build/cli/main.mjs'), 'utf8')).toContain('"two"');
    await rm(join(root, 'signaling/server.ts'));
    expect(cliIsFresh(root)).toBe(false);
  });

  it('is stale when a source was saved while it was built', async () => {
    await writeFile(join(root, 'protocol/word.ts'), "export const word: string = 'new';\n");
    await buildCli(root);
    expect(cliIsFresh(root)).toBe(false);
  });

  it("keeps a source's own place (import.meta) and answers Vite's ?worker&url import", async () => {
    await put(
      'protocol/word.ts',
      "export const word: string = import.meta.dirname;\nimport u from './w.ts?worker&url';\nexport const url = u;\n",
    );
    await buildCli(root);
    const main = await readFile(join(root, 'build/cli/main.mjs'), 'utf8');
    expect(main).toContain(JSON.stringify(join(root, 'protocol')));
    expect(main).not.toMatch(/from "[^"]*\?worker&url"/);
    expect(cliIsFresh(root)).toBe(true);
  });

  it('is stale when a file it wrote was truncated, edited or removed: a corrupt build is rebuilt, never run', async () => {
    await buildCli(root);
    const main = join(root, 'build/cli/main.mjs');
    const text = await readFile(main, 'utf8');
    await writeFile(main, text.slice(0, text.length >> 1)); // a build cut short
    expect(cliIsFresh(root)).toBe(false);
    expect(await compiledCli(root)).toBe(`file://${main}`);
    expect(await readFile(main, 'utf8')).toBe(text);
    expect(cliIsFresh(root)).toBe(true);
    // Same size, other bytes (and a chunk, which the entry loads on demand).
    const chunks = await readdir(join(root, 'build/cli/chunks'));
    const chunk = join(
      root,
      'build/cli/chunks',
      chunks.find((c) => c.startsWith('server-'))!,
    );
    const good = await readFile(chunk, 'utf8');
    await writeFile(chunk, good.replace('heavy', 'HEAVY'));
    expect(cliIsFresh(root)).toBe(false);
    await compiledCli(root);
    expect(await readFile(chunk, 'utf8')).toBe(good);
    await rm(chunk);
    expect(cliIsFresh(root)).toBe(false);
    // A manifest of the format before (no outputs listed) is not believed either.
    await compiledCli(root);
    const manifestPath = join(root, 'build/cli/manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
    await writeFile(manifestPath, JSON.stringify({ ...manifest, outputs: undefined }));
    expect(cliIsFresh(root)).toBe(false);
    await writeFile(manifestPath, '{"format":');
    expect(cliIsFresh(root)).toBe(false);
  });

  it('names the compiled sandbox worker in the bundle, and rebuilds the worker when its source changes', async () => {
    const workerSource = (word: string) =>
      `import { parentPort } from 'node:worker_threads';\nparentPort?.postMessage('${word}');\n`;
    await put('player/node/sandbox.node-worker.ts', workerSource('one'));
    await put(
      'signaling/server.ts',
      [
        'declare const __PATCHCAST_SANDBOX_WORKER__: string | undefined;',
        'export const heavy = (n: number) => n;',
        'export const workerScript = () =>',
        "  typeof __PATCHCAST_SANDBOX_WORKER__ === 'string' ? __PATCHCAST_SANDBOX_WORKER__ : 'source';",
      ].join('\n'),
    );
    const compiled = join(root, 'build/cli/sandbox.node-worker.mjs');
    const hello = () =>
      new Promise((resolve, reject) => {
        const worker = new Worker(compiled);
        worker.once('message', (word) => void worker.terminate().then(() => resolve(word)));
        worker.once('error', reject);
      });
    await compiledCli(root);
    const chunks = await readdir(join(root, 'build/cli/chunks'));
    const server = await readFile(
      join(
        root,
        'build/cli/chunks',
        chunks.find((c) => c.startsWith('server-'))!,
      ),
      'utf8',
    );
    expect(server).toContain(JSON.stringify(compiled));
    expect(await hello()).toBe('one');
    await put('player/node/sandbox.node-worker.ts', workerSource('two'));
    expect(cliIsFresh(root)).toBe(false);
    await compiledCli(root);
    expect(await hello()).toBe('two');
  });

  it('returns null when the sources do not build, so the bin falls back to tsx', async () => {
    await put('protocol/word.ts', 'export const word: string = ;\n');
    expect(await compiledCli(root)).toBeNull();
  });

  it('is what the real bin runs', async () => {
    const bin = fileURLToPath(new URL('../bin/patchcast.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, '--help']);
    expect(stdout).toContain('Usage: patchcast <command>');
    expect(cliIsFresh()).toBe(true);
  });
});
