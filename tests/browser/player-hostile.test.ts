/**
 * Hostile logic scripts in real Chromium, through the real relay: scripts that try to wedge the page
 * (rewriting the worker's `postMessage`, listening in on its messages, returning getters and proxies
 * that do it), to run between calls (MessageChannel ping-pong, `AbortSignal.timeout`,
 * `Atomics.waitAsync`), to flood the page with messages, or to allocate without bound. Each one
 * worked against the sandbox of a plain worker; each test here checks that it no longer does: the
 * player never sticks, later good scripts run (also after a reload), frames keep their rate, and
 * memory stays bounded. The scripts guard every name they use, so each one loads and runs wherever
 * it is — the question is only what it achieves.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { utf8 } from '../../protocol/bytes.ts';
import type { SigningKey } from '../../protocol/crypto.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './helpers/chromium-args.ts';
import { adminRoster, demoKey, publish, startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import { ballPosition, openPlayer, runningLogic, waitForApplied, waitForStatus } from './helpers/player.ts';

let relay: RelayProcess;
let ctx: BrowserContext;
let key: SigningKey;
let page: Page;
let errors: string[];
let profile = '';
let versions = 0;

const GOOD = (n: number) =>
  `// good ${n}\nexport function update(b, w, dt) { return { ...b, x: (b.x + 200 * dt) % w.width + 1, y: 300 }; }`;

async function publishScript(source: string, version = `v${++versions}`) {
  return publish(relay.url, 'demo', key, { logic: { kind: 'script', bytes: utf8(source), version } });
}

/** What the relay heard from the player about its logic slot. */
async function rosterLogic() {
  return (await adminRoster(relay.url, 'demo', key)).find((c) => c.role === 'player')?.slots['logic'];
}

async function ballMoves(): Promise<boolean> {
  const a = await ballPosition(page);
  await page.waitForTimeout(300);
  const b = await ballPosition(page);
  return a.x !== b.x || a.y !== b.y;
}

/** Publishes a good script and checks that it is applied, runs, and moves the ball. */
async function goodScriptRuns(): Promise<void> {
  const good = await publishScript(GOOD(versions));
  const applied = await waitForApplied(page, good.seq);
  expect(applied.detail.slots['logic']?.status).toBe('applied');
  const sha = good.signed.release.slots['logic']?.sha256;
  await expect.poll(async () => (await runningLogic(page))?.id, { timeout: 5_000 }).toBe(sha);
  await expect.poll(ballMoves, { timeout: 5_000 }).toBe(true);
}

/** Resident memory (MiB) of this test's Chromium: the browser process and all it started. */
function chromiumRssMib(): number {
  const parents = new Map<number, number>();
  const rss = new Map<number, number>();
  let root = 0;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      parents.set(pid, Number(/PPid:\s+(\d+)/.exec(status)?.[1] ?? 0));
      rss.set(pid, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
      if (!root && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`--user-data-dir=${profile}`)) {
        root = pid;
      }
    } catch {
      // The process ended while we looked.
    }
  }
  const ours = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (!ours.has(pid) && ours.has(parent)) (ours.add(pid), (grew = true));
    }
  }
  let kib = 0;
  for (const pid of ours) kib += rss.get(pid) ?? 0;
  return kib / 1024;
}

beforeAll(async () => {
  relay = await startRelayProcess();
  key = await demoKey(relay.dataDir);
  profile = mkdtempSync(join(tmpdir(), 'chr-hostile-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  ({ page, errors } = await openPlayer(ctx, `${relay.url}/play/?room=demo&key=${key.publicKey}&p2p=off`));
  await page.setViewportSize({ width: 800, height: 560 });
  await waitForStatus(page, (s) => s.seq >= 1 && 'logic' in s.slots);
});

afterAll(async () => {
  await ctx?.close();
  await relay?.stop();
});

// Comlink's reply for "the call threw this": a value the page can't turn into text.
const WEDGE = `{ type: 'HANDLER', name: 'throw', value: { isError: false, value: { toString: 0, valueOf: 0 } } }`;
const REWRITE_POST = `() => {
  if (typeof self === 'undefined' || typeof self.postMessage !== 'function') return;
  const post = self.postMessage.bind(self);
  self.postMessage = (message, transfer) => post({ ...message, ...${WEDGE} }, transfer);
}`;

describe('hostile scripts (real relay, real Chromium)', () => {
  it.each([
    [
      'rewrites postMessage while running',
      `const wedge = ${REWRITE_POST}; let n = 0;
       export function update(b, w, dt) { if (++n === 30) wedge(); return { ...b, x: (b.x + 3) % 700 + 20 }; }`,
    ],
    [
      'rewrites postMessage during its trial',
      `const wedge = ${REWRITE_POST}; let n = 0;
       export function update(b, w, dt) { if (++n === 3) wedge(); return { ...b, x: (b.x + 3) % 700 + 20 }; }`,
    ],
    [
      'listens in on the worker’s messages and answers first',
      `let n = 0;
       if (typeof self !== 'undefined' && typeof self.addEventListener === 'function') {
         self.addEventListener('message', (e) => {
           if (++n < 30 || !e.data || !e.data.id) return;
           e.stopImmediatePropagation();
           self.postMessage({ id: e.data.id, ...${WEDGE} });
         }, true);
       }
       export function update(b) { return { ...b, x: (b.x + 3) % 700 + 20 }; }`,
    ],
    [
      'returns a getter that rewrites postMessage',
      `const wedge = ${REWRITE_POST}; let n = 0;
       export function update(b) {
         const x = (b.x + 3) % 700 + 20;
         return { ...b, get x() { if (++n === 30) wedge(); return x; } };
       }`,
    ],
    [
      'returns a proxy that rewrites postMessage',
      `const wedge = ${REWRITE_POST}; let n = 0;
       export function update(b) {
         const next = { ...b, x: (b.x + 3) % 700 + 20 };
         return new Proxy(next, { get(t, k) { if (k === 'x' && ++n === 30) wedge(); return t[k]; } });
       }`,
    ],
  ])('a script that %s cannot wedge the player', async (_, source) => {
    const hostile = await publishScript(source);
    const applied = await waitForApplied(page, hostile.seq);
    console.log(`${_}: ${JSON.stringify(applied.detail.slots['logic'])}`);
    await page.waitForTimeout(1_000);
    await goodScriptRuns();
  });

  it('a good script published after a wedge at trial runs, and still runs after a reload', async () => {
    const wedge = await publishScript(`const wedge = ${REWRITE_POST}; let n = 0;
      export function update(b) { if (++n === 2) wedge(); return { ...b, x: (b.x + 3) % 700 + 20 }; }`);
    await waitForApplied(page, wedge.seq);
    const good = await publishScript(GOOD(versions));
    await waitForApplied(page, good.seq);
    // The page reloads from its cache: the good script was never remembered as failed.
    await page.reload();
    await page.waitForFunction(() => 'patchcast' in window);
    const sha = good.signed.release.slots['logic']?.sha256;
    await expect.poll(async () => (await runningLogic(page))?.id, { timeout: 10_000 }).toBe(sha);
    await expect.poll(ballMoves, { timeout: 5_000 }).toBe(true);
  });

  it.each([
    [
      'MessageChannel ping-pong',
      `let spins = 0;
       if (typeof MessageChannel === 'function') {
         const c = new MessageChannel();
         c.port1.onmessage = () => { spins++; c.port2.postMessage(0); };
         c.port2.postMessage(0);
       }`,
    ],
    [
      'AbortSignal.timeout',
      `let spins = 0;
       if (typeof AbortSignal === 'function' && typeof AbortSignal.timeout === 'function') {
         const again = () => AbortSignal.timeout(5).addEventListener('abort', () => { spins++; again(); });
         again();
       }`,
    ],
    [
      'Atomics.waitAsync on shared WebAssembly memory',
      `let spins = 0;
       if (typeof WebAssembly === 'object' && typeof Atomics === 'object' && typeof Atomics.waitAsync === 'function') {
         const cell = new Int32Array(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer);
         const again = () => Atomics.waitAsync(cell, 0, 0, 5).value.then(() => { spins++; again(); });
         again();
       }`,
    ],
  ])('a script gets no time between calls through %s', async (_, setup) => {
    // The radius tells how many times the script ran on its own between two calls (0 → 10).
    const hostile = await publishScript(
      `${setup}\nexport function update(b) { return { ...b, x: (b.x + 3) % 700 + 20, radius: 10 + Math.min(spins, 100) }; }`,
    );
    expect((await waitForApplied(page, hostile.seq)).detail.slots['logic']?.status).toBe('applied');
    await page.waitForTimeout(1_500);
    const ball = await page.evaluate(() => Reflect.get(window, 'patchcast').ball());
    console.log(`${_}: ball ${JSON.stringify(ball)}`);
    expect(ball).toMatchObject({ radius: 10 });
  });

  it('a script that floods the page with messages leaves the frame rate within 10 % of baseline', async () => {
    // Frames the page's own loop drew, measured the same way both times: after the script was
    // applied and its new standby started (1.5 s), then the median of five 1.5 s windows, so that
    // a load spike from elsewhere on the machine moves one window, not the verdict.
    const frames = async (): Promise<number> => {
      await page.waitForTimeout(1_500);
      const counts: number[] = [];
      for (let i = 0; i < 5; i++) {
        await page.evaluate(() => Reflect.get(window, 'patchcast').frames(true));
        await page.waitForTimeout(1_500);
        const read: unknown = await page.evaluate(() => Reflect.get(window, 'patchcast').frames(false));
        counts.push(Number(Reflect.get(read as object, 'frames')));
      }
      return counts.sort((x, y) => x - y)[2] ?? 0;
    };
    const good = await publishScript(GOOD(versions));
    expect((await waitForApplied(page, good.seq)).detail.slots['logic']?.status).toBe('applied');
    const baseline = await frames();
    const flood = await publishScript(`
      const big = new Uint8Array(4 << 20);
      if (typeof MessageChannel === 'function' && typeof self !== 'undefined') {
        const c = new MessageChannel();
        let last = 0;
        c.port1.onmessage = () => {
          const now = performance.now();
          if (now - last > 50) { last = now; try { self.postMessage({ junk: big }); } catch {} }
          c.port2.postMessage(0);
        };
        c.port2.postMessage(0);
      }
      export function update(b, w, dt) { return { ...b, x: (b.x + 200 * dt) % w.width + 1, y: 300 }; }`);
    expect((await waitForApplied(page, flood.seq)).detail.slots['logic']?.status).toBe('applied');
    const flooded = await frames();
    // The baseline brackets the flood (a good script again after it), so that the machine's load
    // drifting over the half minute this takes doesn't read as the flood's doing. (Against the
    // plain-worker sandbox the replaced flooder kept flooding as the standby: that only lowers the
    // second baseline, and the check still failed there.)
    const after = await publishScript(GOOD(versions));
    expect((await waitForApplied(page, after.seq)).detail.slots['logic']?.status).toBe('applied');
    const baselineAfter = await frames();
    console.log(
      `flood: median ${baseline} and ${baselineAfter} frames per 1.5 s without, ${flooded} with the flooding script`,
    );
    // Against the lower of the two: the machine's load drifts over the half minute (a fresh-clone CI
    // run saw 64 then 88 frames without the flood, other test files finishing meanwhile), and the
    // flood's window lies between the two. A flood that reached the page costs far more than 10 %.
    expect(flooded).toBeGreaterThanOrEqual(Math.min(baseline, baselineAfter) * 0.9);
  });

  it('a script that allocates without bound is stopped; the tab grows by less than 256 MB', async () => {
    await goodScriptRuns();
    const good = await runningLogic(page);
    const before = chromiumRssMib();
    let peak = before;
    // 2–4 MB more per call after its trial, kept (each call stays quick: it is memory that must stop
    // it, not its budget); it stops by itself at 0.8–1.6 GB.
    const hog = await publishScript(`
      const keep = []; let n = 0;
      export function update(b) {
        if (++n > 20 && keep.length < 400) keep.push(new Array(5e5).fill(n));
        return { ...b, x: (b.x + 3) % 700 + 20 };
      }`);
    const sampler = setInterval(() => (peak = Math.max(peak, chromiumRssMib())), 100);
    try {
      await waitForApplied(page, hog.seq);
      await expect.poll(async () => (await runningLogic(page))?.id, { timeout: 15_000 }).toBe(good?.id);
      await page.waitForTimeout(1_000);
    } finally {
      clearInterval(sampler);
    }
    console.log(`allocation: Chromium RSS ${before.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB`);
    expect(peak - before).toBeLessThan(256);
    expect(await ballMoves()).toBe(true);
    await expect
      .poll(rosterLogic, { timeout: 5_000 })
      // Out of memory; on a starved machine a call (QuickJS collecting garbage near its ceiling) may
      // run out of time first — stopped either way, with the tab's memory bounded above.
      .toMatchObject({
        seq: hog.seq,
        status: 'failed',
        error: expect.stringMatching(/out of memory|took longer than/),
      });
  });

  it("runs its sandbox workers from their own URL, under default-src 'none'", async () => {
    const urls = page.workers().map((w) => w.url());
    const sandboxes = urls.filter((url) => /\/_astro\/sandbox\.worker-[\w-]+\.js$/.test(url));
    expect(sandboxes.length).toBeGreaterThan(0);
    expect(urls.filter((url) => url.startsWith('blob:'))).toEqual([]);
    const response = await fetch(sandboxes[0] ?? '');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'");
  });

  it('raised no page error', () => {
    expect(errors).toEqual([]);
  });
});
