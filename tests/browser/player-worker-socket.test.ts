/**
 * What the player benchmark's `--probe` (bench/player-probe.ts) measures, and what moving the patch
 * client into a dedicated worker would rely on: a WebSocket in a worker of the page gets a release
 * while the page's main thread is busy, and the client's `received` waits for that thread. The page's
 * main thread is held in a busy loop; a release published meanwhile must reach the worker's socket
 * before the loop ends, and the client on the page only after it (docs/player.md, "Measured in the
 * same page").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { SigningKey } from '../../protocol/crypto.ts';
import { readSocketProbe, startSocketProbe } from '../../bench/player-probe.ts';
import { demoKey, publish, startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import { openPlayer, waitForApplied, waitForStatus } from './helpers/player.ts';
import { launchBrowser, playerContext } from './helpers/swarm.ts';

const BUSY_MS = 1_500;

let relay: RelayProcess;
let browser: Browser;
let ctx: BrowserContext;
let key: SigningKey;
let page: Page;

beforeAll(async () => {
  relay = await startRelayProcess();
  key = await demoKey(relay.dataDir);
  browser = await launchBrowser();
  ctx = await playerContext(browser, { webrtc: false, bypassCSP: true });
  ({ page } = await openPlayer(ctx, `${relay.url}/play/?room=demo&key=${key.publicKey}&p2p=off`));
  await waitForStatus(page, (s) => s.seq >= 1 && s.mode === 'relay');
  await startSocketProbe(page, relay.url, 'worker-socket-probe');
  await new Promise((r) => setTimeout(r, 500)); // the probe's socket said hello
});

afterAll(async () => {
  await ctx?.close();
  await browser?.close();
  await relay?.stop();
});

describe('a release reaches a worker of the page while its main thread is busy', () => {
  it('the worker socket has it before the busy loop ends; the client only after', async () => {
    // The busy loop starts on the page's next task and holds its main thread for BUSY_MS.
    const loopFrom: unknown = await page.evaluate((busy) => {
      const start = performance.timeOrigin + performance.now() + 50;
      setTimeout(() => {
        const end = performance.now() + busy;
        while (performance.now() < end) {
          // busy: no task, no frame, no WebSocket message on this thread
        }
      }, 50);
      return start;
    }, BUSY_MS);
    expect(typeof loopFrom).toBe('number');
    await new Promise((r) => setTimeout(r, 150));
    const published = await publish(relay.url, 'demo', key, {
      theme: { kind: 'config', bytes: new TextEncoder().encode('{"ball":"#ff8800"}'), version: 'busy-1' },
    });
    await waitForApplied(page, published.seq, 20_000);
    const probe = await readSocketProbe(page, published.seq);
    const received: unknown = await page.evaluate(
      (seq) =>
        performance
          .getEntriesByName(`patchcast:${seq}:received`)
          .map((m) => performance.timeOrigin + m.startTime)[0],
      published.seq,
    );
    const loopEnd = Number(loopFrom) + BUSY_MS;
    expect(published.acceptedAt).toBeLessThan(loopEnd - 300); // published well inside the loop
    expect(probe.socketAt).toBeDefined();
    expect(probe.socketAt!).toBeLessThan(loopEnd - 200);
    expect(typeof received).toBe('number');
    expect(Number(received)).toBeGreaterThanOrEqual(loopEnd - 5);
    // The observer saw the busy loop as one long task.
    expect(probe.longTasks.some(([, duration]) => duration >= BUSY_MS - 50)).toBe(true);
  });
});
