/**
 * Whole blobs over HTTP after a failover (`player/core/http-blobs.ts`): a browser player given two
 * relay addresses, the first down, connects to the second — and asks the second for whole blobs too
 * (`GET /api/blobs/:sha256` at the address it is connected to now, not at the first of its list).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../protocol/crypto.ts';
import type { PatchClient } from '../../player/core/patch-client.ts';
import { browserPatchClient } from '../../player/browser/browser-client.ts';
import { startTestServer, type TestServer } from '../../signaling/testing/helpers.ts';
import { adapters } from './helpers/adapters.ts';
import { startMeddler, type Meddler } from './helpers/meddler.ts';
import { game, nextApplied, publish, release, ROOM, texture, until } from './helpers/suite.ts';

const browser = adapters.find((a) => a.name === 'browser')!;

describe('whole blobs over HTTP after a failover', () => {
  const relays: TestServer[] = [];
  let meddler: Meddler | undefined;
  let client: PatchClient | undefined;

  afterEach(async () => {
    client?.close();
    await meddler?.close();
    for (const relay of relays.splice(0)) await relay.dispose();
  });

  it('come from the relay the player moved to, not from the first (dead) address', async () => {
    const dead = await startTestServer();
    const deadUrl = dead.url;
    await dead.dispose();
    const live = await startTestServer({ hub: { heartbeatMs: 100 } });
    relays.push(live);
    meddler = await startMeddler(live);
    const key = await generateSigningKey();

    client = browserPatchClient({
      room: ROOM,
      publicKey: key.publicKey,
      handlers: game().handlers,
      server: deadUrl,
      servers: [deadUrl, meddler.url],
      cache: await browser.cache(),
      backoff: { initialMs: 20, maxMs: 100 },
    });
    await client.start();
    const m = meddler;
    await until(() => m.hellos.length > 0);

    const r1 = await release(key, null, { background: await texture(100_000, '1') });
    const slot = r1.signed.release.slots['background']!;
    expect(slot.chunks.length).toBeGreaterThan(1);
    const applied = nextApplied(client);
    await publish(live, r1, key.publicKey);
    expect((await applied).slots['background']).toMatchObject({ status: 'applied' });
    // Whole, from the live relay: no chunk asked for (asked of the dead address, the GET would fail
    // and the blob come chunk by chunk).
    expect(m.httpBlobGets).toEqual([slot.sha256]);
    expect(m.blobGets).toEqual([]);
  });
});
