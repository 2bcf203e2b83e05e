/**
 * `patchcast publish`'s dry run against the room's declared contract, in the player's sandbox under
 * Node (a real `worker_threads` worker), in-process against a real relay: a good script ships; one
 * that throws, returns the wrong shape or lacks the entry is refused with BAD_SCRIPT and nothing is
 * published; `--force` ships it anyway; `--dry-run` never publishes; a slot without a declared
 * contract gets a load check.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiPath, parseHistoryBody } from '../../protocol/index.ts';
import { TEST_OPERATOR_TOKEN, startTestServer, type TestServer } from '../testing/helpers.ts';
import { runCli, type CliResult } from '../testing/cli-run.ts';

let server: TestServer;
let dir: string;
let key: string;

function run(...argv: string[]): Promise<CliResult> {
  return runCli({ server: server.url }, argv);
}

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function seq(): Promise<number> {
  const history = parseHistoryBody(await (await fetch(server.url + ApiPath.releases('arena'))).json());
  return history.ok ? (history.value.releases[0]?.release.seq ?? 0) : 0;
}

const CONTRACTS = JSON.stringify({
  slots: {
    'enemy-ai': {
      entry: 'steer',
      arity: 2,
      samples: [
        [[{ x: 0, y: 0 }], { x: 10, y: 5 }],
        [[], { x: 0, y: 0 }],
      ],
      returns: [{ vx: 'number', vy: 'number' }],
      budgetMs: 150,
    },
  },
});
const GOOD = `export function steer(enemies, hero) {
  return enemies.map((e) => ({ vx: Math.sign(hero.x - e.x), vy: Math.sign(hero.y - e.y) }));
}`;

beforeAll(async () => {
  server = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'patchcast-dry-run-'));
  key = join(dir, 'arena.key.json');
  expect((await run('keygen', '--out', key, '--room', 'arena')).code).toBe(0);
});
afterAll(async () => {
  await server?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('patchcast publish: the dry run against the room contract', () => {
  it('ships a script that keeps the contract it is published with', async () => {
    const r = await run(
      'publish',
      '--key',
      key,
      '--slot',
      `contracts=config:${await file('contracts.config.json', CONTRACTS)}`,
      '--slot',
      `enemy-ai=script:${await file('good.js', GOOD)}`,
    );
    expect(r.err).toBe('');
    expect(r.out).toContain('dry run enemy-ai: ok — steer(), 2 trial call(s)');
    expect(r.code).toBe(0);
    expect(await seq()).toBe(1);
  });

  it.each([
    ['throws', 'export function steer() { throw new Error("lost"); }', /trial call 0: .*lost/],
    [
      'returns the wrong shape',
      'export function steer(e) { return e.map(() => ({ vx: "left" })); }',
      /result\[0\]\.vx: expected a finite number, got string/,
    ],
    [
      'lacks the entry',
      'export function think() { return []; }',
      /does not export a function steer\(arg1, arg2\)/,
    ],
    ['hangs', 'export function steer() { for (;;) {} }', /took longer than 150 ms/],
  ])('refuses one that %s against the live contract, and publishes nothing', async (_, source, error) => {
    const r = await run('publish', '--key', key, '--slot', `enemy-ai=script:${await file('bad.js', source)}`);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(error);
    expect(r.err).toMatch(/^BAD_SCRIPT: dry run failed for enemy-ai: publish refused/);
    expect(await seq()).toBe(1);
  });

  it('--dry-run checks and never publishes; --force publishes without the check', async () => {
    const bad = await file('bad.js', 'export function steer() { return null; }');
    const dry = await run('publish', '--key', key, '--dry-run', '--slot', `enemy-ai=script:${bad}`);
    expect(dry.code).toBe(1);
    const good = await run(
      'publish',
      '--key',
      key,
      '--dry-run',
      '--slot',
      `enemy-ai=script:${await file('g2.js', GOOD + '\n// v2')}`,
    );
    expect(good.out).toContain('dry run passed (1 script(s)); nothing published');
    expect(good.code).toBe(0);
    expect(await seq()).toBe(1);
    const forced = await run('publish', '--key', key, '--force', '--slot', `enemy-ai=script:${bad}`);
    expect(forced.code).toBe(0);
    expect(forced.out).not.toContain('dry run');
    expect(await seq()).toBe(2);
  });

  it('load-checks a slot the room declares nothing for', async () => {
    const fine = await run(
      'publish',
      '--key',
      key,
      '--slot',
      `hero-ai=script:${await file('h.js', 'export const x = 1;')}`,
    );
    expect(fine.out).toContain('dry run hero-ai: ok — load check (no declared contract)');
    const broken = await run(
      'publish',
      '--key',
      key,
      '--slot',
      `hero-ai=script:${await file('h2.js', 'throw new Error("top");')}`,
    );
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/dry run hero-ai: FAILED — .*top/);
  });

  it('refuses a contracts slot that is not a contract declaration, at the CLI and at the relay', async () => {
    const junk = await file(
      'c.json',
      JSON.stringify({ slots: { 'enemy-ai': { entry: 'x y', samples: [] } } }),
    );
    const r = await run('publish', '--key', key, '--slot', `contracts=config:${junk}`);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^BAD_CONFIG: .*entry/);
  });

  it('runs the same in the compiled CLI, as a pipeline runs it (the bin, its compiled sandbox worker)', async () => {
    const bin = fileURLToPath(new URL('../../bin/patchcast.mjs', import.meta.url));
    const publish = (script: string) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        execFile(
          process.execPath,
          [bin, 'publish', '--server', server.url, '--key', key, '--slot', `enemy-ai=script:${script}`],
          { env: { ...process.env, PATCHCAST_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN } },
          (error, out, err) => resolve({ code: error ? (error.code as number) : 0, out, err }),
        );
      });
    const before = await seq();
    const hangs = await publish(await file('bin-hangs.js', 'export function steer() { for (;;) {} }'));
    expect(hangs.out).toMatch(/took longer than 150 ms/);
    expect(hangs.err).toMatch(/^BAD_SCRIPT: dry run failed for enemy-ai/);
    expect(hangs.code).toBe(1);
    const junk = await publish(
      await file('bin-junk.js', 'export function steer(e) { return e.map(() => 1); }'),
    );
    expect(junk.out).toMatch(/dry run enemy-ai: FAILED — trial call 0: steer\(\) returned junk/);
    expect(junk.code).toBe(1);
    expect(await seq()).toBe(before);
    const good = await publish(await file('bin-good.js', GOOD + '\n// from the bin'));
    expect(good.out).toContain('dry run enemy-ai: ok — steer(), 2 trial call(s)');
    expect(good.code).toBe(0);
    expect(await seq()).toBe(before + 1);
  });
});
