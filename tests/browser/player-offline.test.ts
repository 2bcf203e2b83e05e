/**
 * Offline and back: with the relay stopped, the player URL still opens (service worker), shows the
 * last versions from IndexedDB in mode `offline`, and the ball moves with the last logic; once the
 * relay is back on the same address, the player reconnects by itself and catches up with a release
 * published while it was away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { configBytes } from '../../protocol/config.ts';
import { utf8 } from '../../protocol/bytes.ts';
import type { SigningKey } from '../../protocol/crypto.ts';
import { SINE_PATH } from '../../player/sandbox/examples.ts';
import { launchChromium } from './helpers/admin-env.ts';
import { demoKey, publish, startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import {
  appliedEvents,
  ballPosition,
  openPlayer,
  runningLogic,
  waitForApplied,
  waitForStatus,
} from './helpers/player.ts';

let relay: RelayProcess;
let ctx: BrowserContext;
let key: SigningKey;
let page: Page;
let errors: string[];
let logicSha = '';

beforeAll(async () => {
  relay = await startRelayProcess();
  key = await demoKey(relay.dataDir);
  ctx = await launchChromium();
  ({ page, errors } = await openPlayer(ctx, `${relay.url}/play/?room=demo&key=${key.publicKey}`));
  await page.setViewportSize({ width: 640, height: 480 });
});

afterAll(async () => {
  await ctx?.close();
  await relay?.stop();
});

describe('offline boot and catch-up (real relay, service worker, IndexedDB)', () => {
  it('plays online and installs its service worker', async () => {
    await waitForStatus(page, (s) => s.seq >= 1 && s.mode === 'relay');
    const published = await publish(relay.url, 'demo', key, {
      logic: { kind: 'script', bytes: utf8(SINE_PATH), version: '3.0.0' },
    });
    logicSha = published.signed.release.slots['logic']?.sha256 ?? '';
    await waitForApplied(page, published.seq);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
      timeout: 20_000,
    });
  });

  it('opens with the relay down: last versions, mode offline, the ball moves with the last logic', async () => {
    await relay.stop();
    await page.reload();
    await page.waitForFunction(() => 'patchcast' in window);
    const status = await waitForStatus(page, (s) => s.slots['logic']?.version === '3.0.0');
    expect(status).toMatchObject({ mode: 'offline', seq: 2 });
    expect(Object.keys(status.slots).sort()).toEqual(['background', 'logic', 'theme']);
    const events = await appliedEvents(page);
    expect(events[0]?.detail).toMatchObject({ seq: 2, fromCache: true });
    await expect.poll(async () => (await runningLogic(page))?.id).toBe(logicSha);
    const a = await ballPosition(page);
    await page.waitForTimeout(300);
    expect(await ballPosition(page)).not.toEqual(a);
    expect(await page.textContent('#hud-mode')).toBe('offline');
    expect(await page.textContent('#hud-logic')).toBe('3.0.0');
  });

  it('reconnects by itself when the relay is back, and catches up with what was published meanwhile', async () => {
    relay = await startRelayProcess({
      dataDir: relay.dataDir,
      httpPort: relay.httpPort,
      tcpPort: relay.tcpPort,
    });
    // Published before the player's next reconnect attempt: it learns of it from its hello.
    const published = await publish(relay.url, 'demo', key, {
      theme: {
        kind: 'config',
        bytes: configBytes({ background: '#3b2a5a', ball: '#7fe3ff' }),
        version: '3.1.0',
      },
    });
    const status = await waitForStatus(
      page,
      (s) => s.mode === 'relay' && s.seq === published.seq && s.slots['theme']?.version === '3.1.0',
      30_000,
    );
    expect(status.slots['logic']?.version).toBe('3.0.0');
  });

  it('raised no page error', () => {
    expect(errors).toEqual([]);
  });
});
