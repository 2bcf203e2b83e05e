/**
 * What the swarm's browser tests need: one Chromium with a fresh context per player (each its own
 * IndexedDB, client id and PeerJS peer), WebRTC allowed on loopback or taken away, the page's
 * `window.patchcast.swarm()`, and the relay's byte counter from `/metrics`.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import * as v from 'valibot';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ApiPath } from '../../../protocol/http.ts';
import { openPlayer, playerStatus } from './player.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium-args.ts';

/** Launches headless Debian Chromium with WebRTC allowed on loopback (see TOOLCHAIN). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
}

/** How a player's browser is crippled, if at all. */
export interface PlayerContextOptions {
  /** False: every WebRTC constructor is deleted before any page script runs (a browser without it). */
  readonly webrtc: boolean;
  /** False: the PeerJS signaling WebSocket is closed as soon as it opens (a proxy that blocks it). */
  readonly signaling?: boolean;
  /** True: the page's CSP is not enforced (the player benchmark's `--probe` starts a `blob:` worker). */
  readonly bypassCSP?: boolean;
}

/** A fresh context for one player. */
export async function playerContext(
  browser: Browser,
  options: PlayerContextOptions,
): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    viewport: { width: 640, height: 420 },
    ...(options.bypassCSP ? { bypassCSP: true } : {}),
  });
  // Without these, Chromium hides host candidates behind mDNS names and loopback finds no route.
  await ctx.grantPermissions(['camera', 'microphone']);
  if (!options.webrtc) {
    await ctx.addInitScript(() => {
      for (const name of [
        'RTCPeerConnection',
        'webkitRTCPeerConnection',
        'RTCSessionDescription',
        'RTCIceCandidate',
        'RTCDataChannel',
      ]) {
        Reflect.deleteProperty(globalThis, name);
      }
    });
  }
  if (options.signaling === false) {
    await ctx.routeWebSocket(/\/peerjs\//, (ws) => ws.close({ code: 1008, reason: 'blocked by the test' }));
  }
  return ctx;
}

/** Opens `count` players, each in its own context, on `url`. */
export async function openPlayers(
  browser: Browser,
  url: string,
  count: number,
  options: PlayerContextOptions,
): Promise<{ contexts: BrowserContext[]; pages: Page[]; errors: string[][] }> {
  const contexts: BrowserContext[] = [];
  const pages: Page[] = [];
  const errors: string[][] = [];
  for (let i = 0; i < count; i++) {
    const ctx = await playerContext(browser, options);
    const opened = await openPlayer(ctx, url);
    contexts.push(ctx);
    pages.push(opened.page);
    errors.push(opened.errors);
  }
  return { contexts, pages, errors };
}

/**
 * A PNG of about `bytes` bytes of random pixels: it doesn't compress, and no two calls give the same
 * blob (a blob the players already hold would not be fetched at all).
 */
export async function randomPng(bytes: number): Promise<Uint8Array> {
  const side = Math.ceil(Math.sqrt(bytes / 3));
  return new Uint8Array(
    await sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer(),
  );
}

/** `window.patchcast.swarm()`, as documented in `docs/player.md`. */
export const SwarmInfoSchema = v.object({
  state: v.picklist(['disabled', 'unsupported', 'idle', 'starting', 'open', 'failed', 'stopped']),
  peerId: v.nullable(v.string()),
  peers: v.array(v.string()),
  badChunks: v.number(),
  peersDropped: v.number(),
  bytesToPeers: v.number(),
  lastError: v.nullable(v.string()),
});
/** A page's swarm info. */
export type SwarmInfo = v.InferOutput<typeof SwarmInfoSchema>;

/** The page's swarm info. */
export async function swarmInfo(page: Page): Promise<SwarmInfo> {
  const raw: unknown = await page.evaluate(() => {
    const api: unknown = Reflect.get(window, 'patchcast');
    const swarm: unknown = api && typeof api === 'object' ? Reflect.get(api, 'swarm') : null;
    return typeof swarm === 'function' ? swarm() : null;
  });
  return v.parse(SwarmInfoSchema, raw);
}

/** The relay's `patchcast_bytes_sent_total` for one transport (every frame, JSON and base64 included). */
export async function relayBytesSent(url: string, transport = 'ws'): Promise<number> {
  const text = await (await fetch(`${url}${ApiPath.metrics()}`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`patchcast_bytes_sent_total{transport="${transport}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Polls `check` until it holds. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until every page holds release `seq` or later and has at least `peers` links, mode `peer`.
 * On a timeout the error shows every page's status and swarm, to tell a slow mesh from a broken one.
 */
export async function waitForMesh(pages: readonly Page[], peers: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await Promise.all(pages.map(playerStatus));
    if (statuses.every((s) => s.seq >= 1 && s.mode === 'peer' && s.peers >= peers)) return;
    if (Date.now() > deadline) {
      const swarms = await Promise.all(pages.map(swarmInfo));
      const report = statuses.map((s, i) => ({
        seq: s.seq,
        mode: s.mode,
        peers: s.peers,
        lastError: s.lastError,
        swarm: swarms[i],
      }));
      throw new Error(`the mesh did not form: ${JSON.stringify(report, null, 1)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
