/**
 * The issue's own words: publish with `patchcast publish` a new logic script, a texture and a colour;
 * an open player applies each within 1 s of the publish, without a reload, and its status and HUD
 * show the new versions; a screenshot shows the new background.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { BrowserContext, Page } from 'playwright-core';
import { GRAVITY } from '../../player/sandbox/examples.ts';
import { launchChromium } from './helpers/admin-env.ts';
import { demoKey, startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import { openPlayer, waitForApplied, waitForStatus } from './helpers/player.ts';

const run = promisify(execFile);
let relay: RelayProcess;
let ctx: BrowserContext;
let page: Page;
let errors: string[];
const dir = mkdtempSync(join(tmpdir(), 'player-cli-'));

/** Runs `patchcast publish …`; returns the seq it printed and when it exited. */
async function cliPublish(args: string[]): Promise<{ seq: number; exitedAt: number; startedAt: number }> {
  const startedAt = Date.now();
  const { stdout } = await run(process.execPath, [
    'bin/patchcast.mjs',
    'publish',
    '--server',
    relay.url,
    '--room',
    'demo',
    '--key',
    join(relay.dataDir, 'keys', 'demo.key.json'),
    '--json',
    ...args,
  ]);
  const exitedAt = Date.now();
  const seq = /"seq"\s*:\s*(\d+)/.exec(stdout)?.[1];
  if (!seq) throw new Error(`no seq in: ${stdout}`);
  return { seq: Number(seq), exitedAt, startedAt };
}

beforeAll(async () => {
  relay = await startRelayProcess();
  const key = await demoKey(relay.dataDir);
  ctx = await launchChromium();
  ({ page, errors } = await openPlayer(ctx, `${relay.url}/play/?room=demo&key=${key.publicKey}`));
  await page.setViewportSize({ width: 960, height: 640 });
  await waitForStatus(page, (s) => s.seq >= 1 && s.mode === 'relay');
});

afterAll(async () => {
  await ctx?.close();
  await relay?.stop();
});

describe('patchcast publish → an open player', () => {
  it.each([
    ['a logic script', 'logic', async () => ['--script', file('logic.js', GRAVITY)]],
    ['a texture', 'background', async () => ['--texture', file('bg.png', await texture())]],
    ['a colour', 'theme', async () => ['--color', '#2b4f7e', '--ball-color', '#ffe066']],
  ] as const)('%s is applied within 1 s of the publish', async (_, slot, content) => {
    const version = `cli-${slot}`;
    const published = await cliPublish([...(await content()), '--version', version]);
    const applied = await waitForApplied(page, published.seq);
    expect(applied.detail.slots[slot]).toMatchObject({ status: 'applied', version });
    // The CLI exits once the relay has accepted; the player may well have applied it before that.
    console.log(
      `cli ${slot}: applied ${applied.at - published.exitedAt} ms after the CLI exited (CLI ran ${published.exitedAt - published.startedAt} ms)`,
    );
    expect(applied.at - published.exitedAt).toBeLessThan(1_000);
    await waitForStatus(page, (s) => s.slots[slot]?.version === version);
    await page.waitForFunction(([id, v]) => document.querySelector(`#hud-${id}`)?.textContent === v, [
      slot,
      version,
    ] as const);
  });

  it('shows the new background, and raised no page error', async () => {
    await page.waitForTimeout(200);
    const shot = await page.screenshot();
    writeFileSync(join(dir, 'after-cli.png'), shot);
    const { data, info } = await sharp(shot).raw().toBuffer({ resolveWithObject: true });
    const at = (200 * info.width + 620) * info.channels;
    // The texture is green-dominated (see `texture()`), the old background is dark blue-grey.
    expect(data[at + 1]!).toBeGreaterThan(120);
    expect(errors).toEqual([]);
  });

  it('shows the theme colour again when the background slot is removed (the removed handler)', async () => {
    const published = await cliPublish(['--remove', 'background', '--version', 'cli-no-bg']);
    await waitForApplied(page, published.seq);
    await waitForStatus(page, (s) => s.seq === published.seq && s.slots['background'] === undefined);
    await page.waitForTimeout(200);
    const { data, info } = await sharp(await page.screenshot())
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (200 * info.width + 620) * info.channels;
    // The theme's background is #2b4f7e (set above): blue over green, where the texture was green.
    expect(data[at + 2]!).toBeGreaterThan(data[at + 1]!);
    expect(errors).toEqual([]);
  });
});

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function texture(): Promise<Uint8Array> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">
    <rect width="640" height="480" fill="#1fae5b"/><circle cx="320" cy="240" r="150" fill="#9be15d"/></svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}
