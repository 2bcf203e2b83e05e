/**
 * Small blobs pushed with their release (`signaling/hub/blob-push.ts`, hello `pushBlobs`), through
 * each adapter, on the REAL relay behind the meddler: a pushed blob is applied without a `blob.get`
 * and never fetched again; a client that does not say `pushBlobs` fetches as before; a reconnect
 * pushes nothing the player holds; a pushed blob that fails its hash is dropped and fetched; the
 * relay's push limit (default `PUSH_BLOB_MAX_BYTES`, 64 KiB: a small texture) and 0 (none).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKey, type SigningKey } from '../../protocol/crypto.ts';
import { PUSH_BLOB_MAX_BYTES } from '../../protocol/limits.ts';
import type { SlotInput } from '../../protocol/assemble.ts';
import type { Release } from '../../protocol/release.ts';
import { buildRelease, type BuiltRelease } from '../../publisher/build.ts';
import type { PatchHandlers } from '../../player/core/apply.ts';
import type { PatchCache } from '../../player/core/cache.ts';
import type { PatchClient } from '../../player/core/patch-client.ts';
import { startTestServer, type TestServer } from '../../signaling/testing/helpers.ts';
import { adapters } from './helpers/adapters.ts';
import { startMeddler, type Meddler } from './helpers/meddler.ts';
import {
  game,
  nextApplied,
  png,
  publish as publishTo,
  release as build,
  ROOM,
  script,
  sleep,
  theme,
  until,
} from './helpers/suite.ts';

describe.each(adapters)('small blobs pushed with the release, through the $name adapter', (adapter) => {
  let relay: TestServer;
  let meddler: Meddler;
  let key: SigningKey;
  let cache: PatchCache;
  const closers: (() => void)[] = [];

  const publish = (built: BuiltRelease) => publishTo(relay, built, key.publicKey);
  const release = (previous: Release | null, slots: Record<string, SlotInput>) => build(key, previous, slots);
  const sha = (built: BuiltRelease, slot: string) => built.signed.release.slots[slot]!.sha256;

  function client(handlers: PatchHandlers): PatchClient {
    const made = adapter.client(meddler, cache, {
      room: ROOM,
      publicKey: key.publicKey,
      handlers,
      platform: 'unit test',
      backoff: { initialMs: 20, maxMs: 100 },
    });
    closers.push(made.close);
    return made.client;
  }

  beforeEach(async () => {
    relay = await startTestServer({ hub: { heartbeatMs: 100 } });
    meddler = await startMeddler(relay);
    key = await generateSigningKey();
    cache = await adapter.cache();
  });

  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await meddler.close();
    await relay.dispose();
  });

  it('applies a small script pushed with its release, asks for the big one, fetches neither again', async () => {
    const c = client(game().handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const big = `export function update(b) { return b; } // ${'-'.repeat(PUSH_BLOB_MAX_BYTES)}`;
    const r1 = await release(null, {
      logic: script('export function update(b) { return b; }', '1'),
      extra: script(big, '1'),
    });
    expect(r1.signed.release.slots['extra']!.size).toBeGreaterThan(PUSH_BLOB_MAX_BYTES);
    const applied = nextApplied(c);
    await publish(r1);
    expect(Object.values((await applied).slots).map((s) => s.status)).toEqual(['applied', 'applied']);
    // The big script was asked for, each chunk once; the small one came unasked.
    const extra = r1.signed.release.slots['extra']!.chunks.length;
    expect(meddler.blobGets.reduce((n, count) => n + count, 0)).toBe(extra);
    expect(meddler.chunksSent.get(sha(r1, 'logic'))).toBe(1);
    expect(meddler.chunksSent.get(sha(r1, 'extra'))).toBe(extra);
    const all = [...r1.blobs.values()].reduce((n, b) => n + b.length, 0);
    expect(c.status().bytesFromRelay).toBe(all);
    // A pushed byte counts in the relay's egress like any chunk it sent.
    const pushed = r1.signed.release.slots['logic']!.size;
    expect(relay.hub.blobStats()).toEqual({ egressBytes: all, pushedBlobs: 1, pushedBytes: pushed });
  });

  it('a client that does not say pushBlobs gets nothing pushed, and fetches each chunk once', async () => {
    meddler.withoutPush();
    const c = client(game().handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, {
      logic: script('export function update(b) { return b; }', '1'),
      theme: theme('#0a0b0c', '1'),
    });
    const applied = nextApplied(c);
    await publish(r1);
    expect(Object.values((await applied).slots).map((s) => s.status)).toEqual(['applied', 'applied']);
    expect(meddler.blobGets).toEqual([1, 1]);
    for (const slot of ['logic', 'theme']) expect(meddler.chunksSent.get(sha(r1, slot))).toBe(1);
    expect(relay.hub.blobStats()).toMatchObject({ pushedBlobs: 0, pushedBytes: 0 });
  });

  it('on reconnect: nothing pushed to a player holding the latest, only what it lacks to one behind', async () => {
    const first = client(game().handlers);
    await first.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, {
      logic: script('export function update(b) { return b; }', '1'),
      theme: theme('#010101', '1'),
    });
    let applied = nextApplied(first);
    await publish(r1);
    await applied;
    await until(() => meddler.acks.length === 2);
    // A dropped connection: the player holds the latest, so its hello gets no release and no chunk.
    meddler.dropAll();
    await until(() => meddler.hellos.length === 2);
    await sleep(200);
    for (const slot of ['logic', 'theme']) expect(meddler.chunksSent.get(sha(r1, slot))).toBe(1);
    first.close();
    // Offline while r2 changes the theme: back, it is pushed the new theme with r2, not the script it holds.
    const r2 = await release(r1.signed.release, { theme: theme('#020202', '2') });
    await publish(r2);
    const second = client(game().handlers);
    applied = nextApplied(second, (d) => d.seq === 2);
    await second.start();
    expect((await applied).slots['theme']).toMatchObject({ status: 'applied', version: '2' });
    expect(meddler.hellos.at(-1)).toMatchObject({ seq: 1 });
    expect(meddler.chunksSent.get(sha(r2, 'theme'))).toBe(1);
    expect(meddler.chunksSent.get(sha(r1, 'logic'))).toBe(1);
    expect(meddler.blobGets).toEqual([]);
  });

  it('drops a pushed blob that fails its hash and fetches it: a bad push is no bad answer', async () => {
    const c = client(game().handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, { theme: theme('#0c0c0c', '1') });
    // Corrupt only the first copy (the pushed one): the fetched one is whole.
    meddler.tamper(sha(r1, 'theme'), 1);
    const applied = nextApplied(c);
    await publish(r1);
    expect((await applied).slots['theme']).toMatchObject({ status: 'applied' });
    expect(meddler.chunksSent.get(sha(r1, 'theme'))).toBe(2);
    expect(meddler.blobGets).toEqual([1]);
  });
});

describe('the push limit (serve --push-max-bytes)', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it.each([
    ['the default pushes a small texture (one 64 KiB chunk)', undefined, 1],
    ['a limit of 0 pushes nothing', 0, 0],
  ] as const)('%s', async (_, pushBlobMaxBytes, pushed) => {
    const relay = await startTestServer({
      hub: { heartbeatMs: 100, ...(pushBlobMaxBytes === undefined ? {} : { pushBlobMaxBytes }) },
    });
    closers.push(() => relay.dispose());
    const meddler = await startMeddler(relay);
    closers.push(() => meddler.close());
    const key = await generateSigningKey();
    const made = adapters[0]!.client(meddler, await adapters[0]!.cache(), {
      room: ROOM,
      publicKey: key.publicKey,
      handlers: game().handlers,
      platform: 'unit test',
    });
    closers.push(made.close);
    await made.client.start();
    await until(() => meddler.hellos.length === 1);
    const bytes = await png(PUSH_BLOB_MAX_BYTES - 4_000);
    expect(bytes.length).toBeLessThanOrEqual(PUSH_BLOB_MAX_BYTES);
    const r1 = await buildRelease({
      room: ROOM,
      key,
      previous: null,
      slots: { background: { kind: 'texture', mime: 'image/png', bytes, version: '1' } },
    });
    const applied = nextApplied(made.client);
    await publishTo(relay, r1, key.publicKey);
    expect((await applied).slots['background']).toMatchObject({ status: 'applied' });
    expect(relay.hub.blobStats().pushedBlobs).toBe(pushed);
    expect(meddler.blobGets.length).toBe(pushed ? 0 : 1);
  });
});
