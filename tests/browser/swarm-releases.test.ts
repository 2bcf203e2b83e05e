/**
 * Releases passed on by peers. A Node peer of the room (real WebRTC, the real `Swarm`) holds a
 * release signed with the room's key that the relay has never seen, with a new texture: two player
 * pages take the release from it, check it like one from the relay, fetch the texture from it and
 * from each other, and apply it — not one byte from the relay. Then the peer passes on a release
 * signed with a key the room doesn't trust (refused, nothing changes), and a forged one (refused,
 * and the peer is banned).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { buildRelease } from '../../publisher/build.ts';
import { configBytes } from '../../protocol/config.ts';
import { generateSigningKey, type SigningKey } from '../../protocol/crypto.ts';
import { playerStatus, waitForApplied, waitForStatus } from './helpers/player.ts';
import { demoKey, latestRelease, startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import {
  eventually,
  launchBrowser,
  openPlayers,
  randomPng,
  swarmInfo,
  waitForMesh,
} from './helpers/swarm.ts';
import { openTestPeer, type TestPeer } from './helpers/test-peer.ts';

let relay: RelayProcess;
let key: SigningKey;
let browser: Browser;
let node: TestPeer;
let contexts: BrowserContext[] = [];

beforeAll(async () => {
  // A relay with an egress limit may defer to the swarm, and says so in its welcome: the pages link
  // at once. (Without a limit they would link only on demand, when the relay defers: never.)
  relay = await startRelayProcess({ args: ['--egress-limit', '1MiB'] });
  key = await demoKey(relay.dataDir);
  node = await openTestPeer(relay, 'demo', { id: 'node-peer', corrupt: false });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const ctx of contexts) await ctx.close();
  node?.stop();
  await browser?.close();
  await relay?.stop();
});

describe('releases passed on by peers', () => {
  it("a signed release from a peer is applied; a stranger's is refused; a forger is banned", async () => {
    const opened = await openPlayers(browser, `${relay.url}/play/?room=demo&key=${key.publicKey}`, 2, {
      webrtc: true,
    });
    contexts = opened.contexts;
    const pages = opened.pages;
    await waitForMesh(pages, 2);
    await eventually(async () => node.linked().length >= 2, 10_000, 'the node peer linked to both pages');
    const before = await Promise.all(pages.map(playerStatus));

    // Signed with the room's key, never published: only the node peer has it.
    const current = await latestRelease(relay.url, 'demo');
    const png = await randomPng(256 * 1024);
    const built = await buildRelease({
      room: 'demo',
      key,
      previous: current?.release ?? null,
      version: 'from-a-peer',
      slots: { background: { kind: 'texture', mime: 'image/png', bytes: png, version: 'peer-only' } },
    });
    const slot = built.signed.release.slots['background'];
    if (!slot) throw new Error('no background slot');
    node.announce(built.signed);
    node.hold(slot, png);

    for (const [i, page] of pages.entries()) {
      const applied = await waitForApplied(page, built.signed.release.seq, 20_000);
      expect(applied.detail).toMatchObject({ version: 'from-a-peer', fromCache: false });
      expect(applied.detail.slots['background']).toMatchObject({ status: 'applied', sha256: slot.sha256 });
      const s = await playerStatus(page);
      expect(s.seq).toBe(built.signed.release.seq);
      expect(s.bytesFromPeers - before[i]!.bytesFromPeers).toBeGreaterThanOrEqual(png.length);
      expect(s.bytesFromRelay - before[i]!.bytesFromRelay).toBe(0);
    }

    // A stranger's release, built on top: refused by both, never applied, never passed on.
    const stranger = await generateSigningKey();
    const forged = await buildRelease({
      room: 'demo',
      key: stranger,
      previous: built.signed.release,
      version: 'forged',
      slots: { theme: { kind: 'config', bytes: configBytes({ background: '#ff0000' }), version: 'forged' } },
    });
    node.announce(forged.signed);
    for (const page of pages) {
      const s = await waitForStatus(page, (st) => (st.lastError ?? '').includes('release refused'), 15_000);
      expect(s.lastError).toContain('UNKNOWN_KEY');
      expect(s.seq).toBe(built.signed.release.seq);
      expect(s.slots['theme']?.version).not.toBe('forged');
      // Not banned for it: a key we don't trust may be one the peer's page was configured with.
      expect((await swarmInfo(page)).peers).toContain(node.id);
    }

    // A forgery: the room's signature over a release whose version was changed afterwards. No
    // honest peer passes that on: refused, and the sender is dropped and banned.
    const next = await buildRelease({ room: 'demo', key, previous: forged.signed.release, slots: {} });
    node.announce({ ...next.signed, release: { ...next.signed.release, version: 'tampered' } });
    for (const page of pages) {
      const s = await waitForStatus(page, (st) => (st.lastError ?? '').includes('BAD_SIGNATURE'), 15_000);
      expect(s.seq).toBe(built.signed.release.seq);
      await eventually(
        async () => !(await swarmInfo(page)).peers.includes(node.id),
        5_000,
        'the forger dropped',
      );
    }
    await new Promise((r) => setTimeout(r, 6_000)); // it keeps dialling; banned, it stays out
    for (const page of pages) expect((await swarmInfo(page)).peers).not.toContain(node.id);
    expect(opened.errors.flat()).toEqual([]);
  });
});
