/**
 * A swarm that can't be starved, over real WebRTC: four player pages in headless Chromium and the real
 * relay; a 1 MB texture is published and every page's publish → applied time is taken (honest only).
 * Then two liar peers join — Node peers (node-datachannel, the real `Swarm` and `PeerMesh`, named to the
 * pages by the relay), a third of the room — that claim every chunk of the next texture before it is
 * published and answer every request for it with `peer.none` or with silence. Every page still
 * applies the next texture within 2× the honest-only time, and the liars waste a few requests each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeBlob } from '../../protocol/blobs.ts';
import type { SigningKey } from '../../protocol/crypto.ts';
import { MAX_STRIKES, STRIKE_TIMEOUT } from '../../player/swarm/peer-score.ts';
import { openTestPeer, type TestPeer } from './helpers/test-peer.ts';
import { waitForApplied } from './helpers/player.ts';
import { demoKey, publish, startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import {
  eventually,
  launchBrowser,
  openPlayers,
  randomPng,
  swarmInfo,
  waitForMesh,
} from './helpers/swarm.ts';

const PAGES = 4;

let relay: RelayProcess;
let key: SigningKey;
let browser: Browser;
let liars: TestPeer[] = [];
let contexts: BrowserContext[] = [];

beforeAll(async () => {
  // 1 MiB/s of relay egress: a copy of the 1 MB texture to each page is seconds' worth, so the relay
  // is the bottleneck and defers to the swarm, and the pages ask peers — the liars among them. (A
  // relay that serves at once is asked for every chunk, and no liar is ever asked.)
  relay = await startRelayProcess({ args: ['--egress-limit', '1MiB'] });
  key = await demoKey(relay.dataDir);
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const ctx of contexts) await ctx.close();
  for (const liar of liars) liar.stop();
  await browser?.close();
  await relay?.stop();
});

/** Publishes a ~1 MB texture (with `before` run once its bytes are known); the slowest page's publish → applied time. */
async function spread(
  pages: readonly Page[],
  version: string,
  before: (desc: Awaited<ReturnType<typeof describeBlob>>, png: Uint8Array) => Promise<void> = async () => {},
): Promise<{ times: number[]; sha256: string }> {
  const png = await randomPng(1 << 20);
  const desc = await describeBlob(png);
  await before(desc, png);
  const published = await publish(relay.url, 'demo', key, {
    background: { kind: 'texture', mime: 'image/png', bytes: png, version },
  });
  const applied = await Promise.all(pages.map((p) => waitForApplied(p, published.seq, 60_000)));
  for (const a of applied) {
    expect(a.detail.slots['background']).toMatchObject({ status: 'applied', sha256: desc.sha256 });
  }
  return { times: applied.map((a) => a.at - published.sentAt), sha256: desc.sha256 };
}

describe('liar peers in a room of real pages', () => {
  it('every honest page applies within 2× the honest-only time', { timeout: 180_000 }, async () => {
    const opened = await openPlayers(browser, `${relay.url}/play/?room=demo&key=${key.publicKey}`, PAGES, {
      webrtc: true,
    });
    contexts = opened.contexts;
    const pages = opened.pages;
    await waitForMesh(pages, PAGES - 1);

    // Honest only (twice: the first spread also warms up the pages' decoders and channels).
    await spread(pages, 'liars-warmup');
    const honest = await spread(pages, 'liars-honest');

    liars = [
      await openTestPeer(relay, 'demo', { id: 'liar-none', corrupt: false, lie: 'none' }),
      await openTestPeer(relay, 'demo', { id: 'liar-stall', corrupt: false, lie: 'stall' }),
    ];
    for (const liar of liars) {
      await eventually(async () => liar.linked().length >= PAGES, 20_000, `${liar.id} linked to every page`);
    }
    const attacked = await spread(pages, 'liars-attacked', async (desc, png) => {
      // The liars say they hold the texture before the relay has it: for a moment the only offers.
      for (const liar of liars) liar.hold(desc, png);
      await new Promise((r) => setTimeout(r, 300));
    });
    const infos = await Promise.all(pages.map(swarmInfo));
    const honestMax = Math.max(...honest.times);
    const attackedMax = Math.max(...attacked.times);
    console.log(
      'liar peers:',
      JSON.stringify({
        honestMs: honest.times,
        attackedMs: attacked.times,
        ratio: +(attackedMax / honestMax).toFixed(2),
        withheld: liars.map((l) => l.corrupted()),
        peersDropped: infos.map((i) => i.peersDropped),
        peers: infos.map((i) => i.peers),
      }),
    );
    // The liars were asked (they were the first to offer every chunk) and withheld what they claimed.
    expect(liars.every((l) => l.corrupted() > 0)).toBe(true);
    expect(attackedMax).toBeLessThanOrEqual(2 * honestMax);
    // Each page drops a liar after 4 refusals or 2 silences (and it is asked only while on probation,
    // one request at a time, when the proven pages are busy): the liars wasted little, and pages that
    // asked the refusing one often enough dropped it.
    expect(liars[0]!.corrupted()).toBeLessThanOrEqual(PAGES * MAX_STRIKES);
    expect(liars[1]!.corrupted()).toBeLessThanOrEqual(PAGES * (MAX_STRIKES / STRIKE_TIMEOUT));
    // Whether a page asked the refusing liar often enough to drop it depends on how much the relay
    // served at once (it serves at once while it is not the bottleneck), so it is not asserted here;
    // dropping after MAX_STRIKES is proven on the virtual network (bench/swarm/swarm.test.ts).
    expect(opened.errors.flat()).toEqual([]);
  });
});
