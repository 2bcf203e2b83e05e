/**
 * What the player's speed relies on: the patch client runs in a dedicated worker of the page
 * (`player/browser/client.worker.ts`), so a release is received, checked, fetched, hashed and its
 * texture decoded while the page's main thread is busy (three.js frames on a loaded machine); only
 * the upload waits for that thread. The page's main thread is held in a busy loop; a texture
 * published meanwhile must have its `received` … `decoded` marks (made in the worker, placed on the
 * page's timeline at the time they were made) inside the loop, and `uploaded` after it. A probe
 * socket in another worker of the page (bench/player-probe.ts) shows when the relay's message got to
 * the page at all (docs/player.md, "Measured in the same page").
 *
 * And `patchcast:applied` fires in the very task in which the page applied the release's last slot
 * (the texture set on the wall, the new script swapped in): no other task, no frame in between, and
 * `status()` already says so (docs/player.md, "On screen").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { SigningKey } from '../../protocol/crypto.ts';
import { readSocketProbe, startSocketProbe } from '../../bench/player-probe.ts';
import { demoKey, publish, startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { GRAVITY } from '../../player/sandbox/examples.ts';
import { openPlayer, waitForApplied, waitForStatus } from './helpers/player.ts';
import { launchBrowser, playerContext, randomPng } from './helpers/swarm.ts';

const BUSY_MS = 2_000;

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

describe('the patch client works in its worker while the page is busy', () => {
  it('receives, verifies, fetches and decodes a texture during a busy loop; uploads after it', async () => {
    const png = await randomPng(64 * 1024);
    // The busy loop starts on the page's next task and holds its main thread for BUSY_MS.
    const loopFrom: unknown = await page.evaluate((busy) => {
      const start = performance.timeOrigin + performance.now() + 50;
      setTimeout(() => {
        const end = performance.now() + busy;
        while (performance.now() < end) {
          // busy: no task, no frame, no message on this thread
        }
      }, 50);
      return start;
    }, BUSY_MS);
    expect(typeof loopFrom).toBe('number');
    await new Promise((r) => setTimeout(r, 150));
    const published = await publish(relay.url, 'demo', key, {
      background: { kind: 'texture', bytes: png, mime: 'image/png', version: 'busy-1' },
    });
    const applied = await waitForApplied(page, published.seq, 20_000);
    expect(applied.detail.slots['background']).toMatchObject({ status: 'applied', version: 'busy-1' });
    const probe = await readSocketProbe(page, published.seq);
    const marks: unknown = await page.evaluate((seq) => {
      const out: Record<string, number> = {};
      for (const m of performance.getEntriesByType('mark')) {
        const prefix = `patchcast:${seq}:`;
        if (m.name.startsWith(prefix))
          out[m.name.slice(prefix.length)] = performance.timeOrigin + m.startTime;
      }
      return out;
    }, published.seq);
    const at = (stage: string): number => {
      const t: unknown = typeof marks === 'object' && marks !== null ? Reflect.get(marks, stage) : undefined;
      if (typeof t !== 'number') throw new Error(`no ${stage} mark: ${JSON.stringify(marks)}`);
      return t;
    };
    const loopEnd = Number(loopFrom) + BUSY_MS;
    expect(published.acceptedAt).toBeLessThan(loopEnd - 800); // published well inside the loop
    // The relay's message reached the page's workers during the loop …
    expect(probe.socketAt).toBeDefined();
    expect(probe.socketAt!).toBeLessThan(loopEnd - 500);
    // … and the client in its worker did everything but the upload before the loop ended.
    for (const stage of ['received', 'accepted', 'fetched', 'decoded']) {
      expect(at(stage), stage).toBeGreaterThanOrEqual(published.sentAt);
      expect(at(stage), stage).toBeLessThan(loopEnd - 100);
    }
    expect(at('received')).toBeLessThanOrEqual(at('accepted'));
    expect(at('accepted')).toBeLessThanOrEqual(at('fetched'));
    expect(at('fetched')).toBeLessThanOrEqual(at('decoded'));
    // The upload is the page's: it waited for the loop.
    expect(at('uploaded')).toBeGreaterThanOrEqual(loopEnd - 5);
    // The observer saw the busy loop as one long task.
    expect(probe.longTasks.some(([, duration]) => duration >= BUSY_MS - 50)).toBe(true);
  });
});

/**
 * Hooks the page: when the page marks `stage` of a release (its handler's own mark, right after it
 * applied the slot), a timeout, a message and a frame are queued; each `patchcast:applied` records
 * which of them had run by then, and the status the page reported at that moment.
 */
async function watchTurns(target: Page, stage: string): Promise<void> {
  await target.evaluate((stageName) => {
    const seen: unknown[] = [];
    Reflect.set(window, '__turns', seen);
    let turn: { seq: number; timeout: boolean; message: boolean; frame: boolean } | null = null;
    const mark = performance.mark.bind(performance);
    const pattern = new RegExp(`^patchcast:(\\d+):${stageName}$`);
    performance.mark = (name: string, options?: PerformanceMarkOptions) => {
      const found = pattern.exec(name);
      if (found && options === undefined) {
        const t = { seq: Number(found[1]), timeout: false, message: false, frame: false };
        turn = t;
        setTimeout(() => (t.timeout = true), 0);
        const channel = new MessageChannel();
        channel.port1.onmessage = () => (t.message = true);
        channel.port2.postMessage(null);
        requestAnimationFrame(() => (t.frame = true));
      }
      return mark(name, options);
    };
    window.addEventListener('patchcast:applied', (event) => {
      const detail: unknown = event instanceof CustomEvent ? event.detail : null;
      const api: unknown = Reflect.get(window, 'patchcast');
      const status: unknown = Reflect.get(Object(api), 'status')?.call(api);
      seen.push({ seq: Reflect.get(Object(detail), 'seq'), turn: turn && { ...turn }, status });
    });
  }, stage);
}

/** What `watchTurns` recorded for release `seq`. */
async function turnOf(target: Page, seq: number): Promise<{ turn: unknown; status: unknown }> {
  const seen: unknown = await target.evaluate(() => Reflect.get(window, '__turns'));
  const found = Array.isArray(seen) ? seen.find((s) => Reflect.get(Object(s), 'seq') === seq) : undefined;
  if (found === undefined)
    throw new Error(`no patchcast:applied recorded for ${seq}: ${JSON.stringify(seen)}`);
  return { turn: Reflect.get(Object(found), 'turn'), status: Reflect.get(Object(found), 'status') };
}

describe('patchcast:applied comes in the task that applied the last slot', () => {
  it('for a texture: set on the wall, then the event, with no task or frame between', async () => {
    await watchTurns(page, 'uploaded');
    const published = await publish(relay.url, 'demo', key, {
      background: {
        kind: 'texture',
        bytes: await randomPng(64 * 1024),
        mime: 'image/png',
        version: 'turn-1',
      },
    });
    const applied = await waitForApplied(page, published.seq, 20_000);
    expect(applied.detail.slots['background']).toMatchObject({ status: 'applied', version: 'turn-1' });
    const { turn, status } = await turnOf(page, published.seq);
    expect(turn).toEqual({ seq: published.seq, timeout: false, message: false, frame: false });
    expect(status).toMatchObject({ seq: published.seq, slots: { background: { version: 'turn-1' } } });
  });

  it('for a logic script: swapped in after its trial, then the event, in the same task', async () => {
    await watchTurns(page, 'tried');
    const published = await publish(relay.url, 'demo', key, {
      logic: { kind: 'script', bytes: utf8(GRAVITY), version: 'turn-2' },
    });
    const applied = await waitForApplied(page, published.seq, 20_000);
    expect(applied.detail.slots['logic']).toMatchObject({ status: 'applied', version: 'turn-2' });
    const { turn, status } = await turnOf(page, published.seq);
    expect(turn).toEqual({ seq: published.seq, timeout: false, message: false, frame: false });
    expect(status).toMatchObject({ seq: published.seq, slots: { logic: { version: 'turn-2' } } });
  });
});
