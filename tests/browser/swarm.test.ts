/**
 * The swarm in real headless Chromium: three player pages and the real relay (`patchcast serve`),
 * real WebRTC between the pages over loopback (`npm test` runs this inside a loopback-only network
 * namespace; the pages use no ICE servers). A 1 MB texture of random pixels is published: every page
 * applies it, the relay sends about one copy, the rest goes page to page. Then the same with WebRTC
 * taken away from the pages: everything comes from the relay, and the mode says so.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { SigningKey } from '../../protocol/crypto.ts';
import { demoKey, publish, startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import { playerStatus, waitForApplied, waitForStatus, type PlayerStatus } from './helpers/player.ts';
import {
  eventually,
  launchBrowser,
  openPlayers,
  randomPng,
  relayBytesSent,
  swarmInfo,
  waitForMesh,
} from './helpers/swarm.ts';

let relay: RelayProcess;
let key: SigningKey;
let browser: Browser;
let contexts: BrowserContext[] = [];

beforeAll(async () => {
  // 1 MiB/s of relay egress: a copy of the 1 MB texture to each of three pages is seconds' worth, so
  // the relay is the bottleneck and defers to the swarm (unlimited, it would serve them at once).
  relay = await startRelayProcess({ args: ['--egress-limit', '1MiB'] });
  key = await demoKey(relay.dataDir);
  browser = await launchBrowser();
});

afterEach(async () => {
  for (const ctx of contexts) await ctx.close();
  contexts = [];
});

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
});

function playerUrl(): string {
  return `${relay.url}/play/?room=demo&key=${key.publicKey}`;
}

/** Publishes a new ~1 MB texture (random pixels: a PNG that doesn't compress); returns its size, its hash and the release's seq. */
async function publishTexture(
  version: string,
): Promise<{ size: number; sha256: string; seq: number; sentAt: number }> {
  const png = await randomPng(1 << 20);
  const published = await publish(relay.url, 'demo', key, {
    background: { kind: 'texture', mime: 'image/png', bytes: png, version },
  });
  const slot = published.signed.release.slots['background'];
  if (!slot) throw new Error('no background slot');
  return { size: png.length, sha256: slot.sha256, seq: published.seq, sentAt: published.sentAt };
}

function sum(list: readonly number[]): number {
  return list.reduce((a, b) => a + b, 0);
}

describe('three player pages in a swarm', () => {
  it('spread a 1 MB texture page to page; the relay sends about one copy', async () => {
    const opened = await openPlayers(browser, playerUrl(), 3, { webrtc: true });
    contexts = opened.contexts;
    const pages: Page[] = opened.pages;
    // Each page boots, takes the room's first release, and links to the other two.
    await waitForMesh(pages, 2);
    const before: PlayerStatus[] = await Promise.all(pages.map(playerStatus));
    const metricsBefore = await relayBytesSent(relay.url);

    const texture = await publishTexture('swarm-1mb');
    const applied = await Promise.all(pages.map((p) => waitForApplied(p, texture.seq, 30_000)));
    for (const a of applied) {
      expect(a.detail.slots['background']).toMatchObject({ status: 'applied', sha256: texture.sha256 });
    }

    const after: PlayerStatus[] = await Promise.all(pages.map(playerStatus));
    const fromRelay = after.map((s, i) => s.bytesFromRelay - before[i]!.bytesFromRelay);
    const fromPeers = after.map((s, i) => s.bytesFromPeers - before[i]!.bytesFromPeers);
    const metricsDelta = (await relayBytesSent(relay.url)) - metricsBefore;
    const infos = await Promise.all(pages.map(swarmInfo));
    console.log(
      'swarm, 3 pages:',
      JSON.stringify({
        textureBytes: texture.size,
        fromRelay,
        fromPeers,
        relayTotal: sum(fromRelay),
        relayRatio: Number((sum(fromRelay) / texture.size).toFixed(2)),
        relayWsBytesSent: metricsDelta,
        toPeers: infos.map((i) => i.bytesToPeers),
        publishToAppliedMs: applied.map((a) => a.at - texture.sentAt),
      }),
    );
    // Every page has the whole texture, from one source or the other.
    for (let i = 0; i < 3; i++) expect(fromRelay[i]! + fromPeers[i]!).toBeGreaterThanOrEqual(texture.size);
    // The relay sent its chunks about once (not three times)…
    expect(sum(fromRelay)).toBeLessThanOrEqual(1.5 * texture.size);
    // …and on the wire too: base64 in JSON costs 4/3, plus acks, heartbeats and the release.
    expect(metricsDelta).toBeLessThanOrEqual(1.5 * (4 / 3) * texture.size + 64 * 1024);
    // The pages carried the rest.
    expect(fromPeers.filter((b) => b > 0).length).toBeGreaterThanOrEqual(2);
    for (const s of after) {
      expect(s.mode).toBe('peer');
      expect(s.slots['background']?.sha256).toBe(texture.sha256);
    }
    for (const info of infos) expect(info).toMatchObject({ state: 'open', badChunks: 0 });
    expect(opened.errors.flat()).toEqual([]);
  });
});

describe('player pages without WebRTC', () => {
  it('apply the texture through the relay alone, in mode relay', async () => {
    const opened = await openPlayers(browser, playerUrl(), 3, { webrtc: false });
    contexts = opened.contexts;
    const pages = opened.pages;
    for (const page of pages) await waitForStatus(page, (s) => s.seq >= 1 && s.mode === 'relay', 30_000);
    const before = await Promise.all(pages.map(playerStatus));
    const texture = await publishTexture('relay-only-1mb');
    const applied = await Promise.all(pages.map((p) => waitForApplied(p, texture.seq, 30_000)));
    for (const a of applied) {
      expect(a.detail.slots['background']).toMatchObject({ status: 'applied', sha256: texture.sha256 });
    }
    // A moment longer: no peer link may appear.
    await new Promise((r) => setTimeout(r, 500));
    for (const [i, page] of pages.entries()) {
      const s = await playerStatus(page);
      expect(s).toMatchObject({ mode: 'relay', peers: 0, bytesFromPeers: 0 });
      expect(s.bytesFromRelay - before[i]!.bytesFromRelay).toBeGreaterThanOrEqual(texture.size);
      expect(await swarmInfo(page)).toMatchObject({ state: 'unsupported', peerId: null });
    }
    expect(opened.errors.flat()).toEqual([]);
  });

  it('fall back to the relay when the signaling server is out of reach', async () => {
    // WebRTC is there, but the PeerJS server is not: its WebSocket is closed as soon as it opens.
    const opened = await openPlayers(browser, playerUrl(), 2, { webrtc: true, signaling: false });
    contexts = opened.contexts;
    const pages = opened.pages;
    for (const page of pages) {
      await eventually(async () => (await swarmInfo(page)).state === 'failed', 20_000, 'swarm failed');
      await waitForStatus(page, (s) => s.seq >= 1 && s.mode === 'relay');
    }
    const texture = await publishTexture('no-signaling-1mb');
    for (const page of pages) {
      const applied = await waitForApplied(page, texture.seq, 30_000);
      expect(applied.detail.slots['background']).toMatchObject({ status: 'applied', sha256: texture.sha256 });
      expect(await playerStatus(page)).toMatchObject({ mode: 'relay', peers: 0, bytesFromPeers: 0 });
    }
    expect(opened.errors.flat()).toEqual([]);
  });
});
