/**
 * The HUD's download progress bar, as a player on a slow link sees it: a texture whose bytes come
 * through a slow front (`helpers/slow-front.ts`, 32 KiB every 40 ms) fills the bar frame by frame —
 * shown with part of the bytes, the label saying how many of how many — and the bar is gone once the
 * texture is on screen. On loopback a texture's bytes may all land between two frames, so the bar
 * can't be counted on there (the 4 MB frame-time test in `player-texture.test.ts` doesn't); here the
 * download lasts about a second. Real relay, real Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { SigningKey } from '../../protocol/crypto.ts';
import { bigPngBytes } from '../../signaling/testing/helpers.ts';
import { launchChromium } from './helpers/admin-env.ts';
import { openPlayer, waitForApplied, waitForStatus } from './helpers/player.ts';
import { demoKey, publish, startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import { startSlowFront, type SlowFront } from './helpers/slow-front.ts';

let relay: RelayProcess;
let front: SlowFront;
let ctx: BrowserContext;
let key: SigningKey;
let page: Page;

/** One sample per frame: whether the bar shows, how full, and its label. */
interface Sample {
  readonly visible: boolean;
  readonly fraction: number;
  readonly label: string;
}

/** Records, every frame, what the HUD's progress row shows. */
async function startProgressSampler(p: Page): Promise<void> {
  await p.evaluate(() => {
    const samples: Sample[] = [];
    Reflect.set(window, '__progress', samples);
    const sample = () => {
      const row = document.querySelector<HTMLElement>('.hud-progress');
      const bar = document.querySelector<HTMLProgressElement>('#hud-progress');
      const label = document.querySelector('#hud-progress-label')?.textContent ?? '';
      samples.push({ visible: row !== null && !row.hidden, fraction: bar?.value ?? 0, label });
      if (samples.length < 5_000) requestAnimationFrame(sample);
    };
    requestAnimationFrame(sample);
  });
}

async function readProgressSamples(p: Page): Promise<Sample[]> {
  const raw: unknown = await p.evaluate(() => Reflect.get(window, '__progress'));
  if (!Array.isArray(raw)) throw new Error('no progress samples');
  return raw.map((r: unknown) => {
    const field = (name: string): unknown =>
      typeof r === 'object' && r !== null ? Reflect.get(r, name) : null;
    return {
      visible: field('visible') === true,
      fraction: Number(field('fraction')),
      label: String(field('label')),
    };
  });
}

beforeAll(async () => {
  relay = await startRelayProcess();
  key = await demoKey(relay.dataDir);
  front = await startSlowFront(relay.url, { sliceBytes: 32 * 1024, everyMs: 40 });
  ctx = await launchChromium();
  // The page, its socket and its blob GETs all go through the slow front.
  ({ page } = await openPlayer(ctx, `${front.url}/play/?room=demo&key=${key.publicKey}&p2p=off`));
  await waitForStatus(page, (s) => s.seq >= 1 && s.mode === 'relay');
});

afterAll(async () => {
  await ctx?.close();
  await front?.close();
  await relay?.stop();
});

describe('the HUD progress bar', () => {
  it('fills while a texture downloads over a slow link, says how much of it, and goes once it is on screen', async () => {
    const png = await bigPngBytes(768 * 1024);
    await startProgressSampler(page);
    const published = await publish(relay.url, 'demo', key, {
      background: { kind: 'texture', bytes: png, mime: 'image/png', version: 'slow-1' },
    });
    const applied = await waitForApplied(page, published.seq, 30_000);
    expect(applied.detail.slots['background']).toMatchObject({ status: 'applied', version: 'slow-1' });
    await page.waitForTimeout(200);
    const samples = await readProgressSamples(page);
    // Part-way: shown, partly full, labelled with this release's seq and the texture's size.
    const partway = samples.filter((s) => s.visible && s.fraction > 0 && s.fraction < 1);
    expect(partway.length).toBeGreaterThanOrEqual(3);
    const total = `${(png.length / 1024).toFixed(1)} KiB`;
    for (const s of partway) {
      const label = /^seq (\d+): ([\d.]+) KiB \/ (.+)$/.exec(s.label);
      expect(label?.slice(1)).toEqual([String(published.seq), expect.any(String), total]);
      // The label's bytes are the bar's (to the label's 0.1 KiB).
      expect(Math.abs(Number(label![2]) * 1024 - s.fraction * png.length)).toBeLessThanOrEqual(52);
    }
    // It only ever fills up.
    const fractions = samples.filter((s) => s.visible).map((s) => s.fraction);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]!);
    // Gone once the texture is on screen.
    expect(samples.at(-1)?.visible).toBe(false);
  });
});
