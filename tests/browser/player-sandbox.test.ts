/**
 * The script sandbox in real Chromium, through the real relay: scripts that hang, throw or return
 * NaN — at their trial or later, while running — are dropped and acked as failed with their error;
 * the previous logic keeps moving the ball; frames never stall. And a script gets no network: a
 * canary server on loopback sees none of the requests a hostile script tries.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { utf8 } from '../../protocol/bytes.ts';
import type { SigningKey } from '../../protocol/crypto.ts';
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
let canary: Server;
let canaryPort = 0;
const canaryHits: string[] = [];

async function publishScript(source: string, version: string) {
  return publish(relay.url, 'demo', key, { logic: { kind: 'script', bytes: utf8(source), version } });
}

async function ballMoves(): Promise<boolean> {
  const a = await ballPosition(page);
  await page.waitForTimeout(250);
  const b = await ballPosition(page);
  return a.x !== b.x || a.y !== b.y;
}

async function rosterLogic() {
  return (await adminRoster(relay.url, 'demo', key)).find((c) => c.role === 'player');
}

beforeAll(async () => {
  canary = createServer((req, res) => {
    canaryHits.push(`${req.method ?? '?'} ${req.url ?? ''}`);
    res
      .writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' })
      .end('export default 1;');
  });
  await new Promise<void>((ok) => canary.listen(0, '127.0.0.1', ok));
  canaryPort = (canary.address() as AddressInfo).port;
  relay = await startRelayProcess();
  key = await demoKey(relay.dataDir);
  ctx = await launchChromium();
  ({ page, errors } = await openPlayer(ctx, `${relay.url}/play/?room=demo&key=${key.publicKey}`));
  await page.setViewportSize({ width: 800, height: 560 });
  await waitForStatus(page, (s) => s.seq >= 1 && 'logic' in s.slots);
});

afterAll(async () => {
  await ctx?.close();
  await relay?.stop();
  await new Promise<void>((ok) => canary.close(() => ok()));
});

describe('script sandbox (real relay, real Chromium)', () => {
  const good =
    'export function update(b, w, dt) { return { ...b, x: (b.x + 200 * dt) % w.width + 1, y: 300 }; }';

  it.each([
    ['hangs', 'export function update() { while (true) {} }', /took longer than \d+ ms/],
    [
      'throws',
      'export function update() { throw new TypeError("ball is not defined"); }',
      /threw TypeError: ball is not defined/,
    ],
    ['returns NaN', 'export function update(b) { return { ...b, x: NaN }; }', /returned NaN for ball\.x/],
  ])('a script that %s is acked as failed; the previous logic keeps running', async (_, source, error) => {
    const base = await publishScript(good, `good-${Date.now()}`);
    await waitForApplied(page, base.seq);
    const before = await runningLogic(page);
    expect(before?.id).toBe(base.signed.release.slots['logic']?.sha256);

    await startFrameProbe(page);
    const bad = await publishScript(source, 'bad');
    const applied = await waitForApplied(page, bad.seq);
    expect(applied.detail.slots['logic']?.status).toBe('failed');
    expect(applied.detail.slots['logic']?.error).toMatch(error);
    expect((await runningLogic(page))?.id).toBe(before?.id);
    expect(await ballMoves()).toBe(true);
    const frames = await readFrameProbe(page);
    console.log(`${_}: longest frame ${frames.longestMs.toFixed(1)} ms over ${frames.frames} frames`);
    expect(frames.longestMs).toBeLessThan(250);

    // The relay heard the failure, with its error.
    await expect
      .poll(async () => (await rosterLogic())?.slots['logic'], { timeout: 5_000 })
      .toMatchObject({ seq: bad.seq, version: 'bad', status: 'failed' });
    expect((await rosterLogic())?.slots['logic']?.error).toMatch(error);
  });

  it('a script that fails only later, while running, is dropped for the previous one', async () => {
    const base = await publishScript(good, 'steady');
    await waitForApplied(page, base.seq);
    // Passes its trial frames, then hangs once it has run for half a second of game time.
    const late = `let t = 0;
      export function update(b, w, dt) { t += dt; if (t > 0.5) while (true) {} return { ...b, x: b.x + 1 }; }`;
    await startFrameProbe(page);
    const bad = await publishScript(late, 'late-hang');
    const applied = await waitForApplied(page, bad.seq);
    expect(applied.detail.slots['logic']).toMatchObject({ status: 'applied', version: 'late-hang' });
    await waitForStatus(page, (s) => s.slots['logic']?.version === 'steady', 10_000);
    expect((await runningLogic(page))?.id).toBe(base.signed.release.slots['logic']?.sha256);
    expect(await ballMoves()).toBe(true);
    expect((await readFrameProbe(page)).longestMs).toBeLessThan(250);
    await expect
      .poll(async () => (await rosterLogic())?.slots['logic'], { timeout: 5_000 })
      .toMatchObject({ version: 'late-hang', status: 'failed' });
  });

  it('gives a script no network and no storage', async () => {
    const url = `http://127.0.0.1:${canaryPort}`;
    const probe = `
      const found = [];
      const attempt = (name, f) => { try { const r = f(); if (r && r.catch) r.catch(() => {}); found.push(name); } catch {} };
      attempt('fetch', () => fetch('${url}/fetch'));
      attempt('xhr', () => { const x = new XMLHttpRequest(); x.open('GET', '${url}/xhr'); x.send(); });
      attempt('websocket', () => new WebSocket('ws://127.0.0.1:${canaryPort}/ws'));
      attempt('eventsource', () => new EventSource('${url}/sse'));
      attempt('importScripts', () => importScripts('${url}/importScripts.js'));
      attempt('worker', () => new Worker('${url}/worker.js'));
      attempt('indexedDB', () => indexedDB.open('x'));
      attempt('caches', () => caches.open('x'));
      attempt('broadcast', () => new BroadcastChannel('x'));
      attempt('rtc', () => new RTCPeerConnection());
      attempt('beacon', () => navigator.sendBeacon('${url}/beacon', 'x'));
      attempt('timer', () => setTimeout(() => fetch('${url}/later'), 10));
      attempt('proto-fetch', () => Object.getPrototypeOf(globalThis).fetch('${url}/proto'));
      // import() can't be taken away (it is syntax): the page's CSP, which the worker inherits, refuses it.
      import('${url}/import.js').then(() => found.push('import'), () => {});
      export function update(b) { return { ...b, radius: 10 + found.length }; }
      export const reached = found;`;
    const published = await publishScript(probe, 'probe');
    const applied = await waitForApplied(page, published.seq);
    expect(applied.detail.slots['logic']?.status).toBe('applied');
    await page.waitForTimeout(1_000);
    const ball: unknown = await page.evaluate(() => Reflect.get(window, 'patchcast').ball());
    console.log('sandbox probe: ball', JSON.stringify(ball), 'canary saw', JSON.stringify(canaryHits));
    expect(canaryHits).toEqual([]);
    // Nothing of the list was even callable, and the import failed: the radius is 10 + what went through.
    expect(ball).toMatchObject({ radius: 10 });
  });

  it('raised no page error', () => {
    expect(errors).toEqual([]);
  });
});
