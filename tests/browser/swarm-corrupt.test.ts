/**
 * A swarm member that lies: a Node peer (real WebRTC through node-datachannel, the real `Swarm` and
 * `PeerMesh`) joins the room of three player pages, says it holds the texture about to be published,
 * and flips bytes in every chunk it sends. Each page checks each chunk against the signed release's
 * chunk hashes, drops and bans the liar, and gets the chunks elsewhere (the other pages, the relay):
 * every page applies the right texture, byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeBlob } from '../../protocol/blobs.ts';
import type { SigningKey } from '../../protocol/crypto.ts';
import { openTestPeer, type TestPeer } from './helpers/test-peer.ts';
import { playerStatus, waitForApplied } from './helpers/player.ts';
import { demoKey, publish, startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import {
  eventually,
  launchBrowser,
  openPlayers,
  randomPng,
  swarmInfo,
  waitForMesh,
} from './helpers/swarm.ts';

let relay: RelayProcess;
let key: SigningKey;
let browser: Browser;
let bad: TestPeer;
let contexts: BrowserContext[] = [];

beforeAll(async () => {
  // 1 MiB/s of relay egress: a copy of the 1 MB texture to each page is seconds' worth, so the relay
  // is the bottleneck and defers to the swarm — the pages ask peers, the liar among them. (A relay
  // that serves at once is asked for every chunk, and a liar is never asked.)
  relay = await startRelayProcess({ args: ['--egress-limit', '1MiB'] });
  key = await demoKey(relay.dataDir);
  bad = await openTestPeer(relay, 'demo', { id: 'bad-peer', corrupt: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const ctx of contexts) await ctx.close();
  bad?.stop();
  await browser?.close();
  await relay?.stop();
});

/** SHA-256 (hex) of the blob the page stored in IndexedDB for `sha256`, hashed in the page itself. */
async function storedBlobHash(page: Page, sha256: string): Promise<string | null> {
  const raw: unknown = await page.evaluate(
    (key) =>
      new Promise<string | null>((resolve, reject) => {
        const open = indexedDB.open('patchcast-player');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction('cache').objectStore('cache').get(key);
          req.onerror = () => reject(req.error);
          req.onsuccess = () => {
            const value: unknown = req.result;
            if (!(value instanceof Uint8Array)) return resolve(null);
            void crypto.subtle.digest('SHA-256', new Uint8Array(value)).then((d) => {
              resolve(Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join(''));
            });
          };
        };
      }),
    `patchcast:room:demo:blob:${sha256}`,
  );
  return typeof raw === 'string' ? raw : null;
}

describe('a peer that serves corrupt chunks', () => {
  it('is detected and dropped; every page still applies the right texture', async () => {
    const opened = await openPlayers(browser, `${relay.url}/play/?room=demo&key=${key.publicKey}`, 3, {
      webrtc: true,
    });
    contexts = opened.contexts;
    const pages = opened.pages;
    // Every page links to the other two and to the liar (the relay names it in `welcome`).
    await waitForMesh(pages, 3);
    await eventually(async () => bad.linked().length >= 3, 10_000, 'the bad peer linked to all three');

    // The liar says it holds the next texture before the relay has it, so it is the pages' first
    // (and for a moment only) source of its chunks.
    const png = await randomPng(1 << 20);
    const desc = await describeBlob(png);
    bad.hold(desc, png);
    await new Promise((r) => setTimeout(r, 300)); // its `peer.have` reaches the pages
    const published = await publish(relay.url, 'demo', key, {
      background: { kind: 'texture', mime: 'image/png', bytes: png, version: 'corrupt-peer-test' },
    });
    bad.announce(published.signed);
    expect(published.signed.release.slots['background']?.sha256).toBe(desc.sha256);

    const applied = await Promise.all(pages.map((p) => waitForApplied(p, published.seq, 30_000)));
    const infos = await Promise.all(pages.map(swarmInfo));
    const statuses = await Promise.all(pages.map(playerStatus));
    console.log(
      'corrupt peer:',
      JSON.stringify({
        corruptedFramesSent: bad.corrupted(),
        badChunks: infos.map((i) => i.badChunks),
        peersDropped: infos.map((i) => i.peersDropped),
        bytesFromPeers: statuses.map((s) => s.bytesFromPeers),
        bytesFromRelay: statuses.map((s) => s.bytesFromRelay),
        publishToAppliedMs: applied.map((a) => a.at - published.sentAt),
      }),
    );
    expect(bad.corrupted()).toBeGreaterThan(0);
    for (const [i, page] of pages.entries()) {
      // The right texture, applied and stored: its bytes hash to the signed hash.
      expect(applied[i]!.detail.slots['background']).toMatchObject({
        status: 'applied',
        sha256: desc.sha256,
      });
      expect(statuses[i]!.slots['background']?.sha256).toBe(desc.sha256);
      expect(await storedBlobHash(page, desc.sha256)).toBe(desc.sha256);
      // The liar was caught by every page it sent to, and is no longer linked to them.
      expect(infos[i]!.badChunks).toBeGreaterThanOrEqual(1);
      expect(infos[i]!.peers).not.toContain(bad.id);
    }
    // Banned: not taken back, though it keeps dialling and the relay keeps naming it.
    await new Promise((r) => setTimeout(r, 6_000));
    // (The liar's own view may lag: node-datachannel can take a while to notice a channel the page closed.)
    for (const page of pages) expect((await swarmInfo(page)).peers).not.toContain(bad.id);
    expect(opened.errors.flat()).toEqual([]);
  });
});
