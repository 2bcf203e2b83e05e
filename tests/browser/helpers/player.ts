/**
 * Driving the player page in Chromium: open it, read its documented `window.patchcast.status()`,
 * record `patchcast:applied` events with their time, measure frame intervals with a probe of the
 * test's own (a `requestAnimationFrame` loop that knows nothing of the player), and list what the
 * player stored in IndexedDB.
 */
import * as v from 'valibot';
import type { BrowserContext, Page } from 'playwright-core';

const HeldSlot = v.object({ version: v.string(), sha256: v.string() });

/** `window.patchcast.status()`, as documented in `docs/player.md`. */
export const PlayerStatusSchema = v.object({
  room: v.string(),
  seq: v.number(),
  slots: v.record(v.string(), HeldSlot),
  mode: v.picklist(['relay', 'peer', 'offline']),
  peers: v.number(),
  bytesFromRelay: v.number(),
  bytesFromPeers: v.number(),
  lastError: v.nullable(v.string()),
});
/** A player status. */
export type PlayerStatus = v.InferOutput<typeof PlayerStatusSchema>;

/** One `patchcast:applied` event, with `Date.now()` in the page when it fired. */
export const AppliedEventSchema = v.object({
  at: v.number(),
  detail: v.object({
    seq: v.number(),
    version: v.string(),
    fromCache: v.boolean(),
    slots: v.record(
      v.string(),
      v.object({
        status: v.string(),
        version: v.string(),
        sha256: v.string(),
        error: v.optional(v.string()),
      }),
    ),
  }),
});
/** A recorded applied event. */
export type AppliedEvent = v.InferOutput<typeof AppliedEventSchema>;

/** Opens the player at `url` in a new page; records page errors and applied events from the start. */
export async function openPlayer(
  ctx: BrowserContext,
  url: string,
): Promise<{ page: Page; errors: string[] }> {
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => {
    const log: unknown[] = [];
    Object.defineProperty(window, '__applied', { value: log });
    window.addEventListener('patchcast:applied', (e) => {
      if (e instanceof CustomEvent) log.push({ at: Date.now(), detail: e.detail });
    });
  });
  await page.goto(url);
  await page.waitForFunction(() => 'patchcast' in window);
  return { page, errors };
}

/** The player's status. */
export async function playerStatus(page: Page): Promise<PlayerStatus> {
  const raw: unknown = await page.evaluate(() => {
    const api: unknown = Reflect.get(window, 'patchcast');
    const status: unknown = api && typeof api === 'object' ? Reflect.get(api, 'status') : null;
    return typeof status === 'function' ? status() : null;
  });
  return v.parse(PlayerStatusSchema, raw);
}

/** Polls the status until `check` holds; returns that status. */
export async function waitForStatus(
  page: Page,
  check: (s: PlayerStatus) => boolean,
  timeoutMs = 20_000,
): Promise<PlayerStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: PlayerStatus | null = null;
  for (;;) {
    last = await playerStatus(page);
    if (check(last)) return last;
    if (Date.now() > deadline) throw new Error(`status never matched; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every `patchcast:applied` event so far. */
export async function appliedEvents(page: Page): Promise<AppliedEvent[]> {
  const raw: unknown = await page.evaluate(() => Reflect.get(window, '__applied'));
  return v.parse(v.array(AppliedEventSchema), raw);
}

/**
 * Waits for an applied event (not from the cache) of release `seq` or later. The page waits for it
 * itself (one call, answered when the event fires), rather than being asked every few milliseconds:
 * polling three pages every 20 ms was work of the measurement's own on the CPU it measured. A page
 * that navigates meanwhile (a reload) is asked again.
 */
export async function waitForApplied(page: Page, seq: number, timeoutMs = 20_000): Promise<AppliedEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left < 0) throw new Error(`no applied event for seq ${seq}`);
    let raw: unknown;
    try {
      raw = await page.evaluate(
        ([s, ms]) =>
          new Promise<unknown>((resolve) => {
            const log: unknown = Reflect.get(window, '__applied');
            const events = Array.isArray(log)
              ? (log as { detail?: { seq?: number; fromCache?: boolean } }[])
              : [];
            const find = () => events.find((e) => e.detail?.fromCache === false && (e.detail.seq ?? -1) >= s);
            const done = (value: unknown) => {
              clearTimeout(timer);
              window.removeEventListener('patchcast:applied', check);
              resolve(value ?? null);
            };
            // The helper's own listener (added first, by the init script) has logged the event.
            const check = () => {
              const found = find();
              if (found) done(found);
            };
            const timer = setTimeout(done, ms);
            window.addEventListener('patchcast:applied', check);
            check();
          }),
        [seq, left] as const,
      );
    } catch (e) {
      if (/context was destroyed|navigat/i.test(String(e))) continue;
      throw e;
    }
    if (raw !== null) return v.parse(AppliedEventSchema, raw);
  }
}

/** Starts (or restarts) the frame probe: a rAF loop that records the longest interval between frames. */
export async function startFrameProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const probe = { longest: 0, frames: 0, last: 0, running: true, intervals: [] as number[] };
    const old: unknown = Reflect.get(window, '__probe');
    if (old && typeof old === 'object') Reflect.set(old, 'running', false);
    Reflect.set(window, '__probe', probe);
    const loop = (now: number) => {
      if (!probe.running) return;
      if (probe.last > 0) {
        const dt = now - probe.last;
        probe.longest = Math.max(probe.longest, dt);
        probe.intervals.push(dt);
        probe.frames++;
      }
      probe.last = now;
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  });
}

/** Frames seen by the probe, the longest interval and the 99th percentile (ms). */
export async function readFrameProbe(
  page: Page,
): Promise<{ frames: number; longestMs: number; p99Ms: number }> {
  const raw: unknown = await page.evaluate(() => Reflect.get(window, '__probe'));
  const probe = v.parse(
    v.object({ frames: v.number(), longest: v.number(), intervals: v.array(v.number()) }),
    raw,
  );
  const sorted = [...probe.intervals].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
  return { frames: probe.frames, longestMs: probe.longest, p99Ms: p99 };
}

/** The keys the player stored in IndexedDB (database `patchcast-player`, store `cache`). */
export async function storedKeys(page: Page): Promise<string[]> {
  const raw: unknown = await page.evaluate(
    () =>
      new Promise<unknown>((resolve, reject) => {
        const open = indexedDB.open('patchcast-player');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('cache')) return resolve([]);
          const req = db.transaction('cache').objectStore('cache').getAllKeys();
          req.onsuccess = () => resolve(req.result.map(String));
          req.onerror = () => reject(req.error);
        };
      }),
  );
  return v.parse(v.array(v.string()), raw);
}

/** The ball as the player last drew it. */
export async function ballPosition(page: Page): Promise<{ x: number; y: number }> {
  const raw: unknown = await page.evaluate(() => {
    const api: unknown = Reflect.get(window, 'patchcast');
    const ball: unknown = api && typeof api === 'object' ? Reflect.get(api, 'ball') : null;
    return typeof ball === 'function' ? ball() : null;
  });
  return v.parse(v.object({ x: v.number(), y: v.number() }), raw);
}

/** The logic script running now (`{ id, version }`; id `builtin` for the built-in one). */
export async function runningLogic(page: Page): Promise<{ id: string; version: string } | null> {
  const raw: unknown = await page.evaluate(() => {
    const api: unknown = Reflect.get(window, 'patchcast');
    const logic: unknown = api && typeof api === 'object' ? Reflect.get(api, 'logic') : null;
    return typeof logic === 'function' ? logic() : null;
  });
  return v.parse(v.nullable(v.object({ id: v.string(), version: v.string() })), raw);
}
