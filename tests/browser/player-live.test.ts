/**
 * The player against the real relay, in real Chromium: it boots from the demo room, then applies a new
 * logic script, a texture and a colour, each within 1 s of the publish, without a reload; the status,
 * the HUD and the roster say so, and a screenshot shows the new background. Frames never stall.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { BrowserContext, Page } from 'playwright-core';
import { configBytes } from '../../protocol/config.ts';
import { utf8 } from '../../protocol/bytes.ts';
import type { SigningKey } from '../../protocol/crypto.ts';
import { GRAVITY } from '../../player/sandbox/examples.ts';
import { launchChromium } from './helpers/admin-env.ts';
import { adminRoster, demoKey, publish, startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import {
  ballPosition,
  openPlayer,
  readFrameProbe,
  runningLogic,
  startFrameProbe,
  waitForApplied,
  waitForStatus,
} from './helpers/player.ts';

let relay: RelayProcess;
let ctx: BrowserContext;
let key: SigningKey;
let page: Page;
let errors: string[];

/** A background that is easy to recognise in a screenshot: magenta to orange, with rings. */
async function posterPng(): Promise<Uint8Array> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#b0108f"/><stop offset="1" stop-color="#f08a24"/></linearGradient></defs>
    <rect width="800" height="600" fill="url(#g)"/>
    <g fill="none" stroke="#ffffff" stroke-opacity="0.35" stroke-width="6">
      <circle cx="400" cy="300" r="90"/><circle cx="400" cy="300" r="180"/><circle cx="400" cy="300" r="270"/></g>
    <text x="400" y="320" font-family="sans-serif" font-size="64" font-weight="700" fill="#ffffff"
      text-anchor="middle">hot patched</text></svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}

/** The colour of one pixel of a PNG screenshot. */
async function pixel(png: Buffer, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [data[at]!, data[at + 1]!, data[at + 2]!];
}

/** Logs and returns publish → applied (the request leaving the publisher → the page's event). */
function report(
  what: string,
  published: { sentAt: number; acceptedAt: number },
  applied: { at: number },
): number {
  const total = applied.at - published.sentAt;
  console.log(
    `${what}: publish → applied ${total} ms (relay accepted after ${published.acceptedAt - published.sentAt} ms)`,
  );
  return total;
}

/** Frames kept coming while an update was applied (screenshots, which stall rendering, come after). */
async function checkFrames(): Promise<void> {
  const frames = await readFrameProbe(page);
  console.log(
    `  frames ${frames.frames}, longest ${frames.longestMs.toFixed(1)} ms, p99 ${frames.p99Ms.toFixed(1)} ms`,
  );
  expect(frames.frames).toBeGreaterThan(5);
  expect(frames.longestMs).toBeLessThan(250);
}

beforeAll(async () => {
  relay = await startRelayProcess();
  key = await demoKey(relay.dataDir);
  ctx = await launchChromium();
  ({ page, errors } = await openPlayer(ctx, `${relay.url}/play/?room=demo&key=${key.publicKey}`));
  await page.setViewportSize({ width: 960, height: 640 });
});

afterAll(async () => {
  await ctx?.close();
  await relay?.stop();
});

describe('player live updates (real relay, real Chromium)', () => {
  it('boots from the demo room and draws', async () => {
    const status = await waitForStatus(page, (s) => s.seq >= 1 && s.mode === 'relay' && 'logic' in s.slots);
    expect(Object.keys(status.slots).sort()).toEqual(['background', 'logic', 'theme']);
    expect(await page.textContent('#hud-mode')).toBe('relay');
    const a = await ballPosition(page);
    await page.waitForTimeout(300);
    const b = await ballPosition(page);
    expect(a).not.toEqual(b);
  });

  it('applies a new logic script within 1 s of the publish, without a reload', async () => {
    await startFrameProbe(page);
    const published = await publish(relay.url, 'demo', key, {
      logic: { kind: 'script', bytes: utf8(GRAVITY), version: '2.0.0' },
    });
    const applied = await waitForApplied(page, published.seq);
    expect(report('logic', published, applied)).toBeLessThan(1_000);
    expect(applied.detail.slots['logic']).toMatchObject({ status: 'applied', version: '2.0.0' });
    expect((await runningLogic(page))?.id).toBe(published.signed.release.slots['logic']?.sha256);
    const status = await waitForStatus(page, (s) => s.slots['logic']?.version === '2.0.0');
    expect(status.seq).toBe(published.seq);
    await page.waitForFunction(() => document.querySelector('#hud-logic')?.textContent === '2.0.0');
    await page.waitForTimeout(200);
    await checkFrames();
  });

  it('applies a texture within 1 s and shows it', async () => {
    await startFrameProbe(page);
    const published = await publish(relay.url, 'demo', key, {
      background: { kind: 'texture', bytes: await posterPng(), mime: 'image/png', version: '2.1.0' },
    });
    const applied = await waitForApplied(page, published.seq);
    expect(report('texture', published, applied)).toBeLessThan(1_000);
    expect(applied.detail.slots['background']).toMatchObject({ status: 'applied', version: '2.1.0' });
    await page.waitForFunction(() => document.querySelector('#hud-background')?.textContent === '2.1.0');
    await page.waitForTimeout(100);
    await checkFrames();
    const shot = await page.screenshot();
    // The middle of the back wall, right of the HUD: the poster's magenta-orange, not the old dark grid.
    const [r, g, b] = await pixel(shot, 620, 200);
    expect(r).toBeGreaterThan(150);
    expect(b).toBeLessThan(200);
    expect(r - g).toBeGreaterThan(40);
  });

  it('applies a colour and a ball size within 1 s', async () => {
    await startFrameProbe(page);
    const published = await publish(relay.url, 'demo', key, {
      theme: {
        kind: 'config',
        bytes: configBytes({ background: '#1d5a3a', ball: '#ffd23f', ballRadius: 28 }),
        version: '2.2.0',
      },
    });
    const applied = await waitForApplied(page, published.seq);
    expect(report('theme', published, applied)).toBeLessThan(1_000);
    await page.waitForFunction(() => document.querySelector('#hud-theme')?.textContent === '2.2.0');
    await page.waitForTimeout(200);
    await checkFrames();
    const ball: unknown = await page.evaluate(() => Reflect.get(window, 'patchcast').ball());
    expect(ball).toMatchObject({ radius: 28 });
    const shot = await page.screenshot();
    if (process.env['PATCHCAST_SCREENSHOTS'] === '1') writeFileSync('docs/images/player.png', shot);
    writeFileSync('/tmp/patchcast-player.png', shot);
  });

  it('acked every slot to the relay: the roster shows the new versions', async () => {
    const me = (await adminRoster(relay.url, 'demo', key)).find((c) => c.role === 'player');
    expect(me?.transport).toBe('ws');
    expect(me?.slots['logic']).toMatchObject({ version: '2.0.0', status: 'applied' });
    expect(me?.slots['background']).toMatchObject({ version: '2.1.0', status: 'applied' });
    expect(me?.slots['theme']).toMatchObject({ version: '2.2.0', status: 'applied' });
  });

  it('copies each new texture into the texels of one it replaced, and shows every one right', async () => {
    // Opaque images (texels, not bitmaps): the second replaces the first, whose texels go back to the
    // client's worker; the third is copied into them. Then two of another size: the worker keeps the
    // two newest it was given, so the large one after them still finds the large texels.
    const solid = async (r: number, g: number, b: number, width: number, height: number) =>
      new Uint8Array(
        await sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
          .png()
          .toBuffer(),
      );
    // The worker's timeline mark, placed on the page's timeline (`markStageAt`).
    const reused = (seq: number) =>
      page.evaluate((s) => performance.getEntriesByName(`patchcast:${s}:texels-reused`).length, seq);
    const reuses: number[] = [];
    const colours: [string, number, number, number, number, number][] = [
      ['green', 30, 200, 40, 400, 300],
      ['blue', 30, 40, 210, 400, 300],
      ['red', 220, 30, 30, 400, 300],
      ['small green', 30, 200, 40, 200, 150],
      ['small blue', 30, 40, 210, 200, 150],
      ['red again', 220, 30, 30, 400, 300],
    ];
    for (const [i, [name, r, g, b, width, height]] of colours.entries()) {
      const version = `3.${i}.0-${name.replace(' ', '-')}`;
      const published = await publish(relay.url, 'demo', key, {
        background: {
          kind: 'texture',
          bytes: await solid(r, g, b, width, height),
          mime: 'image/png',
          version,
        },
      });
      const applied = await waitForApplied(page, published.seq);
      expect(applied.detail.slots['background']).toMatchObject({ status: 'applied', version });
      await page.waitForTimeout(100);
      reuses.push(await reused(published.seq));
      const shown = await pixel(await page.screenshot(), 620, 200);
      const want = [r, g, b];
      const strongest = want.indexOf(Math.max(...want));
      expect(shown.indexOf(Math.max(...shown)), `${name} shows: ${shown.join(',')}`).toBe(strongest);
    }
    expect(reuses).toEqual([0, 0, 1, 0, 0, 1]);
  });

  it('raised no page error', () => {
    expect(errors).toEqual([]);
  });
});
