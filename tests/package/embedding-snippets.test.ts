/**
 * Every code block of docs/embedding.md is built, against the package as a game installs it (packed,
 * installed offline: `install.ts`): TypeScript blocks (and examples/arena's sources) are
 * type-checked with the package's `.d.ts`
 * and bundled with plain esbuild (for the browser, or for Node when they import Node's modules or
 * `patchcast/node`); the Vite config block builds a page with Vite, which must emit the sandbox's
 * worker and engine as assets; JSON blocks are `contracts` configs the protocol's validator accepts.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseContracts } from '../../protocol/contracts.ts';
import { installTarball, packPackage } from './install.ts';

const run = promisify(execFile);
const DOC = join(import.meta.dirname, '..', '..', 'docs', 'embedding.md');
const tmp = mkdtempSync(join(tmpdir(), 'embedding-'));
const project = join(tmp, 'game');

interface Block {
  readonly lang: string;
  readonly code: string;
  readonly line: number;
}

/** The fenced blocks of a Markdown text (indented ones in lists too), dedented. */
function blocks(markdown: string): Block[] {
  const found: Block[] = [];
  const fence = /^( *)```(\w*)\n([\s\S]*?)^\1```/gm;
  for (const m of markdown.matchAll(fence)) {
    const indent = m[1]!.length;
    const code = m[3]!
      .split('\n')
      .map((l) => l.slice(indent))
      .join('\n');
    found.push({ lang: m[2]!, code, line: markdown.slice(0, m.index).split('\n').length });
  }
  return found;
}

const all = blocks(readFileSync(DOC, 'utf8'));
const ts = all.filter((b) => b.lang === 'ts');
const forNode = (b: Block) => /from 'node:|from 'esbuild'|from 'patchcast\/node'/.test(b.code);
const serviceWorker = (b: Block) => b.code.includes('lib="webworker"');
const file = (b: Block) => join(project, 'src', `snippet-${b.line}.ts`);

beforeAll(async () => {
  const tarball = await packPackage(tmp);
  mkdirSync(join(project, 'src'), { recursive: true });
  await installTarball(project, tarball, [
    'esbuild',
    'vite',
    'three',
    '@types/three',
    '@types/node',
    'typescript',
  ]);
  for (const b of ts) {
    writeFileSync(file(b), b.code);
    // The handlers' block imports the contracts' block as `./contracts.ts`.
    if (b.code.includes('export const STEER')) writeFileSync(join(project, 'src', 'contracts.ts'), b.code);
  }
});

describe('docs/embedding.md', () => {
  it('has the blocks this test expects to build', () => {
    expect(ts.length).toBeGreaterThanOrEqual(6);
    expect(all.filter((b) => b.lang === 'json').length).toBeGreaterThanOrEqual(1);
    expect(all.some((b) => b.code.startsWith('// vite.config.js'))).toBe(true);
  });

  it('type-checks every TypeScript block, and the arena example, against the installed package', async () => {
    cpSync(join(import.meta.dirname, '..', '..', 'examples', 'arena', 'src'), join(project, 'arena'), {
      recursive: true,
    });
    const config = {
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        lib: ['ES2023', 'DOM', 'DOM.Iterable'],
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        skipLibCheck: true,
        types: ['node'],
      },
      // The service worker's block declares its own `self` (lib webworker): bundled below only.
      files: [...ts.filter((b) => !serviceWorker(b)).map((b) => `src/snippet-${b.line}.ts`), 'arena/main.ts'],
    };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(config));
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).catch(
      (e: { stdout: string }) => e,
    );
    expect(result.stdout).toBe('');
  });

  it.each(ts.map((b) => [b.line, b] as const))('bundles the block at line %i with esbuild', async (_, b) => {
    const node = forNode(b);
    const out = await build({
      entryPoints: [file(b)],
      absWorkingDir: project,
      bundle: true,
      format: 'esm',
      platform: node ? 'node' : 'browser',
      target: 'es2022',
      ...(node ? { packages: 'external' as const } : {}),
      write: false,
      logLevel: 'silent',
    });
    expect(out.errors).toEqual([]);
    expect(out.outputFiles[0]!.text.length).toBeGreaterThan(0);
  });

  it('builds a page with the Vite block: Vite emits the sandbox worker and engine', async () => {
    const config = all.find((b) => b.code.startsWith('// vite.config.js'))!;
    const site = join(project, 'vite-site');
    mkdirSync(site, { recursive: true });
    writeFileSync(join(site, 'vite.config.js'), config.code);
    writeFileSync(join(site, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>');
    writeFileSync(
      join(site, 'main.js'),
      "import { browserSandbox } from 'patchcast/player';\nglobalThis.spawnSandbox = browserSandbox();\n",
    );
    const vite = join(project, 'node_modules', 'vite', 'bin', 'vite.js');
    await run(process.execPath, [vite, 'build', '--logLevel', 'error'], { cwd: site });
    const assets = readdirSync(join(site, 'dist', 'assets'));
    expect(assets.some((a) => /^sandbox\.worker-.*\.js$/.test(a))).toBe(true);
    expect(assets.some((a) => /^quickjs-.*\.wasm$/.test(a))).toBe(true);
  });

  it('every JSON block is a contracts config the relay accepts', () => {
    for (const b of all.filter((x) => x.lang === 'json')) {
      const parsed = parseContracts(JSON.parse(b.code));
      expect(parsed.ok, parsed.ok ? '' : `line ${b.line}: ${parsed.message}`).toBe(true);
    }
  });
});
