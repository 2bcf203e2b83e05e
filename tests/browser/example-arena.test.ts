/**
 * The "done when", end to end: `npm pack` → installed into an empty directory (offline:
 * `tests/package/install.ts`) → the example game `examples/arena` built there with its own
 * `npm run build` (plain esbuild, against the installed package only) → served from its own origin,
 * the relay at another → its own slots published with the installed package's `patchcast` command,
 * and applied in Chromium: two releases, then an AI that passes every trial call and fails once the
 * game runs it — the page goes back to the previous AI and the failure is acked to the relay.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { SigningKey } from '../../protocol/crypto.ts';
import { fromKeyFile, parseKeyFile } from '../../protocol/keys.ts';
import { installTarball, packPackage } from '../package/install.ts';
import { launchChromium, serveStatic, type StaticServer } from './helpers/admin-env.ts';
import {
  BROWSER_OPERATOR_TOKEN,
  adminRoster,
  startRelayProcess,
  type RelayProcess,
} from './helpers/relay.ts';
import { openPlayer, waitForStatus } from './helpers/player.ts';

const run = promisify(execFile);
const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'arena');
const tmp = mkdtempSync(join(tmpdir(), 'arena-'));
const project = join(tmp, 'arena');
let relay: RelayProcess;
let site: StaticServer;
let ctx: BrowserContext;
let page: Page;
let errors: string[];
let key: SigningKey;

/** `patchcast …` from the installed package. */
function patchcast(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(project, 'node_modules', '.bin', 'patchcast'), ...args], {
    cwd: project,
    env: { ...process.env, PATCHCAST_OPERATOR_TOKEN: BROWSER_OPERATOR_TOKEN },
  });
}

/** `--slot NAME=KIND:FILE` for every `NAME.KIND.ext` file of a release folder. */
function slotFlags(dir: string): string[] {
  return readdirSync(dir).flatMap((file) => {
    const m = /^([a-z][a-z0-9_-]*)\.(script|texture|config)\.\w+$/.exec(file);
    return m ? ['--slot', `${m[1]}=${m[2]}:${join(dir, file)}`] : [];
  });
}

async function publish(...args: string[]): Promise<{ seq: number; out: string }> {
  const { stdout, stderr } = await patchcast(
    'publish',
    '--server',
    relay.url,
    '--room',
    'arena',
    '--key',
    'arena.key.json',
    '--json',
    ...args,
  );
  const seq = /"seq"\s*:\s*(\d+)/.exec(stdout)?.[1];
  if (!seq) throw new Error(`no seq in: ${stdout}`);
  return { seq: Number(seq), out: stderr };
}

async function shaOf(seq: number, slot: string): Promise<string> {
  const res = await fetch(`${relay.url}/api/rooms/arena/releases`);
  const text = await res.text();
  const body: unknown = JSON.parse(text);
  const releases = Reflect.get(Object(body), 'releases');
  if (!Array.isArray(releases)) throw new Error(text);
  for (const r of releases) {
    const release: unknown = Reflect.get(Object(r), 'release');
    if (Reflect.get(Object(release), 'seq') === seq) {
      const sha: unknown = Reflect.get(
        Object(Reflect.get(Object(Reflect.get(Object(release), 'slots')), slot)),
        'sha256',
      );
      if (typeof sha === 'string') return sha;
    }
  }
  throw new Error(`no ${slot} in seq ${seq}`);
}

function running(): Promise<Record<string, { id: string; version: string } | null>> {
  return page.evaluate(() => Reflect.get(window, 'patchcast').running());
}

beforeAll(async () => {
  const started = Date.now();
  const tarball = await packPackage(tmp);
  cpSync(EXAMPLE, project, { recursive: true, filter: (src) => !/\/(node_modules|dist)$/.test(src) });
  await installTarball(project, tarball, ['esbuild']);
  await run('npm', ['run', 'build', '--silent'], { cwd: project });
  console.log(`arena: packed, installed and built in ${Date.now() - started} ms`);
  [relay, site] = await Promise.all([startRelayProcess(), serveStatic(join(project, 'dist'))]);
  await patchcast('keygen', '--out', 'arena.key.json', '--room', 'arena');
  const file = parseKeyFile(JSON.parse(readFileSync(join(project, 'arena.key.json'), 'utf8')));
  if (!file.ok) throw new Error(file.message);
  key = await fromKeyFile(file.value);
  ctx = await launchChromium();
});

afterAll(async () => {
  await ctx?.close();
  await site?.close();
  await relay?.stop();
});

describe('the arena example, from the packed package', () => {
  it('builds from the tarball alone: no repository source in the bundle', () => {
    const game = readFileSync(join(project, 'dist', 'game.js'), 'utf8');
    expect(game).toContain('patchcast-sandbox');
    expect(readdirSync(join(project, 'dist')).sort()).toEqual([
      'game.js',
      'index.html',
      'quickjs.wasm',
      'sandbox.worker.js',
    ]);
  });

  it('applies release 1 (two scripts, a texture, two configs) published with --slot', async () => {
    const r1 = await publish(...slotFlags(join(project, 'patches', '1')), '--version', 'r1');
    expect(r1.out).toContain('dry run enemy-ai: ok — steer(), 2 trial call(s)');
    const url = `${site.url}index.html?server=${encodeURIComponent(relay.url)}&room=arena&key=${key.publicKey}`;
    ({ page, errors } = await openPlayer(ctx, url));
    const status = await waitForStatus(page, (s) => s.seq === r1.seq && Object.keys(s.slots).length === 5);
    expect(status).toMatchObject({ room: 'arena', mode: 'relay', lastError: null });
    expect(Object.keys(status.slots).sort()).toEqual(['contracts', 'enemy-ai', 'floor', 'hero-ai', 'tuning']);
    await page.waitForFunction(
      () => Reflect.get(window, 'patchcast').running()['enemy-ai']?.version === 'r1',
    );
    expect((await running())['hero-ai']?.id).toBe(await shaOf(r1.seq, 'hero-ai'));
    expect(await page.evaluate(() => Reflect.get(window, 'patchcast').textured())).toBe(true);
    expect(await page.evaluate(() => Reflect.get(window, 'patchcast').tuning().enemies)).toBe(5);
  });

  it('applies release 2 live, without a reload', async () => {
    const r2 = await publish(...slotFlags(join(project, 'patches', '2')), '--version', 'r2');
    await waitForStatus(page, (s) => s.seq === r2.seq && s.slots['enemy-ai']?.version === 'r2');
    await page.waitForFunction(
      () => Reflect.get(window, 'patchcast').running()['enemy-ai']?.version === 'r2',
    );
    expect((await running())['enemy-ai']?.id).toBe(await shaOf(r2.seq, 'enemy-ai'));
    expect(await page.evaluate(() => Reflect.get(window, 'patchcast').tuning().enemyColor)).toBe('#ffb020');
  });

  it('refuses to publish an AI the dry run catches', async () => {
    const bad = join(project, 'bad-ai.js');
    writeFileSync(bad, 'export function steer(e) { return e.map(() => ({ vx: NaN, vy: 0 })); }');
    const refused = await publish('--slot', `enemy-ai=script:${bad}`).catch(
      (e: { stdout: string; stderr: string }) => e,
    );
    expect(refused).toMatchObject({
      stderr: expect.stringMatching(/BAD_SCRIPT: dry run failed for enemy-ai/),
    });
  });

  it('drops an AI that fails while the game runs it, goes back to release 2, and acks the failure', async () => {
    const before = (await running())['enemy-ai']?.id;
    const late = join(project, 'late-ai.js');
    // Passes the tools' and the page's trial calls (game time 0, or no enemies), then throws.
    writeFileSync(
      late,
      'export function steer(e, h, w) { if (w.time > 0.5 && e.length > 0) throw new Error("the AI lost the plot"); return e.map(() => ({ vx: 0, vy: 0 })); }',
    );
    const r3 = await publish('--slot', `enemy-ai=script:${late}`, '--version', 'r3');
    const failed = await shaOf(r3.seq, 'enemy-ai');
    await waitForStatus(page, (s) => (s.lastError ?? '').includes('the AI lost the plot'));
    expect((await running())['enemy-ai']?.id).toBe(before);
    for (const until = Date.now() + 10_000; ;) {
      const roster = await adminRoster(relay.url, 'arena', key);
      const slot = roster[0]?.slots['enemy-ai'];
      if (slot?.status === 'failed') {
        expect(slot.error).toContain('the AI lost the plot');
        expect(roster[0]?.lastAck).toMatchObject({ slot: 'enemy-ai', status: 'failed' });
        break;
      }
      if (Date.now() > until) throw new Error(`no failed ack: ${JSON.stringify(roster)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(failed).not.toBe(before);
    expect(errors).toEqual([]);
  });
});
