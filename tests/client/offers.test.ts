/**
 * Releases offered from elsewhere (swarm peers pass them on through `offerRelease`), through both
 * adapters, on the real relay: a forgery never cancels a good download, and a release that can't
 * even be canonicalized is refused, not a crash.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigPngBytes, startTestServer, TestRoom, type TestServer } from '../../signaling/testing/helpers.ts';
import { adapters } from './helpers/adapters.ts';
import { startMeddler, type Meddler } from './helpers/meddler.ts';
import { game, nextApplied, sleep, until } from './helpers/suite.ts';
import type { PatchClient } from '../../player/core/patch-client.ts';

let server: TestServer;
let meddler: Meddler;
let room: TestRoom;
let textures = 0;

beforeAll(async () => {
  server = await startTestServer();
  meddler = await startMeddler(server);
  room = await TestRoom.create(server.url, 'demo');
});

afterAll(async () => {
  await meddler.close();
  await server.dispose();
});

describe.each(adapters)('releases offered from elsewhere ($name adapter)', (adapter) => {
  async function client(): Promise<{ client: PatchClient; close(): void; refused: string[] }> {
    const made = adapter.client(meddler, await adapter.cache(), {
      room: 'demo',
      publicKey: room.key.publicKey,
      handlers: game().handlers,
    });
    const refused: string[] = [];
    made.client.on('refused', (d) => refused.push(d.code));
    const applied = nextApplied(made.client);
    await made.client.start();
    await applied;
    return { ...made, refused };
  }

  it('a forged newer release arriving mid-download does not cancel the good one', async () => {
    const c = await client();
    try {
      const built = await room.build({
        slots: {
          // A texture of its own per adapter: the client must have something left to download (the
          // previous run's release already holds a texture of the same size, and so the same bytes).
          background: {
            kind: 'texture',
            mime: 'image/png',
            bytes: await bigPngBytes((1 << 20) + 4096 * ++textures),
            version: '9',
          },
        },
      });
      const good = built.signed;
      const forged = { ...good, release: { ...good.release, seq: good.release.seq + 1 } };
      const applied = nextApplied(c.client);
      // The relay pushes the good release; while its blob downloads (held back here), a "peer"
      // offers a forgery.
      meddler.pause(good.release.slots['background']!.sha256);
      await room.publish(built);
      // A loaded machine may take a while to start the download; the blob stays held meanwhile.
      await until(() => c.client.status().loading?.seq === good.release.seq, 20_000);
      expect((await c.client.offerRelease(forged)).ok).toBe(false);
      meddler.resume();
      expect(await applied).toMatchObject({ seq: good.release.seq });
      expect(c.client.status().slots['background']?.sha256).toBe(good.release.slots['background']?.sha256);
      expect(c.refused).toContain('BAD_SIGNATURE');
    } finally {
      // Never leave the blob held: the next test's client boots from this same latest release.
      meddler.resume();
      c.close();
    }
  });

  it('the release it holds, passed on again by a peer, is no refusal; another with its seq is', async () => {
    const acks = meddler.acks.length;
    const c = await client();
    try {
      const latest = room.latest!;
      // Stored and acked: from now on the check itself would call it stale.
      await until(() => meddler.acks.length > acks, 20_000);
      const errorBefore = c.client.status().lastError;
      expect(await c.client.offerRelease(structuredClone(latest))).toEqual({ ok: true, value: latest });
      await sleep(20);
      expect(c.refused).toEqual([]);
      expect(c.client.status().lastError).toBe(errorBefore);
      // Same seq, other content (the signature doesn't match it): refused as before.
      const other = { ...latest, release: { ...latest.release, version: 'other' } };
      expect((await c.client.offerRelease(other)).ok).toBe(false);
      await sleep(20);
      expect(c.refused).toHaveLength(1);
    } finally {
      c.close();
    }
  });

  it('a release that cannot be canonicalized is refused, not a crash', async () => {
    const c = await client();
    try {
      const latest = room.latest!;
      const candidate: unknown = JSON.parse(
        JSON.stringify({ ...latest, release: { ...latest.release, seq: 99, notes: 'x' } }).replace(
          '"notes":"x"',
          '"notes":"\\ud800"',
        ),
      );
      const verdict = await c.client.offerRelease(candidate);
      expect(verdict).toMatchObject({ ok: false, code: 'BAD_RELEASE' });
      await sleep(20);
      expect(c.refused).toContain('BAD_RELEASE');
      expect(c.client.status().seq).toBe(latest.release.seq);
    } finally {
      c.close();
    }
  });
});
