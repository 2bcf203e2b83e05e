/**
 * What the player's texture speed relies on: a texture is decoded in the decoder worker, never on the
 * page's main thread (where `createImageBitmap(Blob)` costs several rendered frames: docs/player.md,
 * "Textures decode in a worker"). The page's own `createImageBitmap` is counted from before any
 * script runs; a texture published to the player must show with that count still at zero, and the
 * page must have a worker running the decoder. (A broken image failing with `BAD_IMAGE` through the
 * worker: player-refusals.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { SigningKey } from '../../protocol/crypto.ts';
import { launchChromium } from './helpers/admin-env.ts';
import { demoKey, publish, startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import { openPlayer, waitForApplied, waitForStatus } from './helpers/player.ts';
import { randomPng } from './helpers/swarm.ts';

let relay: RelayProcess;
let ctx: BrowserContext;
let key: SigningKey;
let page: Page;

beforeAll(async () => {
  relay = await startRelayProcess();
  key = await demoKey(relay.dataDir);
  ctx = await launchChromium();
  // Counts the page's own decodes (the main thread's `createImageBitmap`; a worker has its own).
  await ctx.addInitScript(() => {
    const original = globalThis.createImageBitmap.bind(globalThis);
    let calls = 0;
    Object.defineProperty(window, '__mainDecodes', { get: () => calls });
    Object.defineProperty(globalThis, 'createImageBitmap', {
      value: (...args: Parameters<typeof createImageBitmap>) => {
        calls++;
        return original(...args);
      },
    });
  });
  ({ page } = await openPlayer(ctx, `${relay.url}/play/?room=demo&key=${key.publicKey}&p2p=off`));
  await waitForStatus(page, (s) => s.seq >= 1 && s.mode === 'relay');
});

afterAll(async () => {
  await ctx?.close();
  await relay?.stop();
});

const mainDecodes = (): Promise<unknown> => page.evaluate(() => Reflect.get(window, '__mainDecodes'));

describe('textures decode off the main thread', () => {
  it('shows a texture with no createImageBitmap on the page', async () => {
    const png = await randomPng(60_000);
    const published = await publish(relay.url, 'demo', key, {
      background: { kind: 'texture', bytes: png, mime: 'image/png', version: 'off-main-1' },
    });
    const applied = await waitForApplied(page, published.seq, 20_000);
    expect(applied.detail.slots['background']).toMatchObject({ status: 'applied', version: 'off-main-1' });
    // The counter is real: it is a number, and the page's own call counts.
    expect(await mainDecodes()).toBe(0);
    expect(page.workers().some((w) => /client\.worker-[\w-]+\.js$/.test(w.url()))).toBe(true);
    await page.evaluate(async () => (await createImageBitmap(new ImageData(1, 1))).close());
    expect(await mainDecodes()).toBe(1);
  });
});
