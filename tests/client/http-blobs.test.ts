/**
 * Whole blobs over HTTP (`player/core/http-blobs.ts`, the browser adapter's default) on the REAL
 * relay behind the meddler: a blob of several chunks comes in one `GET /api/blobs/:sha256`, verified,
 * with no `blob.get`; one that fails its hash is refused and fetched chunk by chunk instead; a relay
 * under an egress limit refuses the player's GET (`BLOB_DEFERRED`) and the chunk path carries it.
 * And the order the ack relies on: `shown` fires once the release is on screen, the acks and
 * `applied` only after the commit (through both adapters).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKey, type SigningKey } from '../../protocol/crypto.ts';
import { ApiPath, PLAYER_BLOB_HEADER } from '../../protocol/http.ts';
import type { SlotInput } from '../../protocol/assemble.ts';
import type { BuiltRelease } from '../../publisher/build.ts';
import type { PatchCache } from '../../player/core/cache.ts';
import type { PatchClient } from '../../player/core/patch-client.ts';
import { startTestServer, type TestServer } from '../../signaling/testing/helpers.ts';
import { adapters, type Adapter } from './helpers/adapters.ts';
import { startMeddler, type Meddler } from './helpers/meddler.ts';
import {
  game,
  nextApplied,
  publish as publishTo,
  release as build,
  ROOM,
  texture,
  theme,
  until,
} from './helpers/suite.ts';

const browser = adapters.find((a) => a.name === 'browser')!;

/** `inner` with its `commit` replaced (each method bound: an adapter's cache may be a class). */
function withCommit(inner: PatchCache, commit: PatchCache['commit']): PatchCache {
  return {
    ...inner,
    clientId: () => inner.clientId(),
    state: (room) => inner.state(room),
    release: (room, seq) => inner.release(room, seq),
    blob: (room, sha256) => inner.blob(room, sha256),
    ...(inner.clientSecret ? { clientSecret: () => inner.clientSecret!() } : {}),
    commit,
  };
}
describe('whole blobs over HTTP, and the ack after the commit', () => {
  let relay: TestServer;
  let meddler: Meddler;
  let key: SigningKey;
  const closers: (() => void)[] = [];

  async function start(hub: { egressBytesPerSecond?: number } = {}): Promise<void> {
    relay = await startTestServer({ hub: { heartbeatMs: 100, ...hub } });
    meddler = await startMeddler(relay);
    key = await generateSigningKey();
  }

  async function client(adapter: Adapter, cache?: PatchCache, httpBlobs = true): Promise<PatchClient> {
    const made = adapter.client(meddler, cache ?? (await adapter.cache()), {
      room: ROOM,
      publicKey: key.publicKey,
      handlers: game().handlers,
      platform: 'unit test',
      backoff: { initialMs: 20, maxMs: 100 },
      httpBlobs,
    });
    closers.push(made.close);
    await made.client.start();
    await until(() => meddler.hellos.length > 0);
    return made.client;
  }

  const publish = (built: BuiltRelease) => publishTo(relay, built, key.publicKey);
  const release = (slots: Record<string, SlotInput>) => build(key, null, slots);

  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await meddler?.close();
    await relay?.dispose();
  });

  it('fetches a blob of many chunks whole over HTTP: verified, no chunk asked for', async () => {
    await start();
    const cache = await browser.cache();
    const c = await client(browser, cache);
    const r1 = await release({ background: await texture(100_000, '1') });
    const slot = r1.signed.release.slots['background']!;
    expect(slot.chunks.length).toBeGreaterThan(1);
    const applied = nextApplied(c);
    await publish(r1);
    expect((await applied).slots['background']).toMatchObject({ status: 'applied' });
    expect(meddler.httpBlobGets).toEqual([slot.sha256]);
    expect(meddler.blobGets).toEqual([]);
    expect(c.status().bytesFromRelay).toBe(slot.size);
    await until(() => meddler.acks.length === 1);
    expect(await cache.blob(ROOM, slot.sha256)).toEqual(r1.blobs.get(slot.sha256));
    // Counted in the relay's blob egress like chunks it sent.
    expect(relay.hub.blobStats().egressBytes).toBe(slot.size);
  });

  it("lets a page on another origin send the player's header (CORS preflight)", async () => {
    await start();
    const preflight = await fetch(relay.url + ApiPath.blob('a'.repeat(64)), {
      method: 'OPTIONS',
      headers: {
        origin: 'https://game.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': PLAYER_BLOB_HEADER,
      },
    });
    expect(preflight.status).toBe(204);
    const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').split(/,\s*/);
    expect(allowed).toContain(PLAYER_BLOB_HEADER);
  });

  it('refuses a blob that fails its hash over HTTP, and fetches it chunk by chunk instead', async () => {
    await start();
    const cache = await browser.cache();
    const c = await client(browser, cache);
    const r1 = await release({ background: await texture(80_000, '1') });
    const slot = r1.signed.release.slots['background']!;
    meddler.tamperHttp(slot.sha256);
    const applied = nextApplied(c);
    await publish(r1);
    expect((await applied).slots['background']).toMatchObject({ status: 'applied' });
    expect(meddler.httpBlobGets).toEqual([slot.sha256]);
    expect(meddler.blobGets.reduce((n, count) => n + count, 0)).toBe(slot.chunks.length);
    await until(() => meddler.acks.length === 1);
    expect(await cache.blob(ROOM, slot.sha256)).toEqual(r1.blobs.get(slot.sha256));
  });

  it('a blob that is bad both ways fails the release, and nothing is stored', async () => {
    await start();
    const cache = await browser.cache();
    const c = await client(browser, cache);
    const r1 = await release({ background: await texture(80_000, '1') });
    const slot = r1.signed.release.slots['background']!;
    meddler.tamper(slot.sha256);
    await publish(r1);
    await until(() => meddler.acks.length === 1, 10_000);
    expect(meddler.acks[0]).toMatchObject({ status: 'failed', slot: 'background' });
    expect(meddler.httpBlobGets).toEqual([slot.sha256]);
    expect(await cache.blob(ROOM, slot.sha256)).toBeNull();
    expect(c.status().seq).toBe(0);
  });

  it("under an egress limit the relay refuses a player's whole-blob GET; its players, told so in welcome, don't ask: the chunks carry it", async () => {
    await start({ egressBytesPerSecond: 50_000_000 });
    const c = await client(browser);
    const r1 = await release({ background: await texture(80_000, '1') });
    const slot = r1.signed.release.slots['background']!;
    await publish(r1);
    const url = relay.url + ApiPath.blob(slot.sha256);
    const refused = await fetch(url, { headers: { [PLAYER_BLOB_HEADER]: '1' } });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: 'BLOB_DEFERRED' } });
    // Anyone else (the admin, a tool) is served as before.
    expect((await fetch(url)).status).toBe(200);
    await until(() => c.status().seq === 1, 10_000);
    // The welcome said `defers`: no GET that would only be refused, every chunk over the connection.
    expect(meddler.httpBlobGets).toEqual([]);
    expect(meddler.blobGets.reduce((n, count) => n + count, 0)).toBe(slot.chunks.length);
  });

  it.each(adapters)(
    '$name adapter: shown fires once on screen; the acks and applied wait for the commit',
    async (adapter) => {
      await start();
      const inner = await adapter.cache();
      let release_: () => void = () => undefined;
      const held = new Promise<void>((r) => (release_ = r));
      let commits = 0;
      const slow = withCommit(inner, async (room, update) => {
        commits++;
        await held;
        await inner.commit(room, update);
      });
      const c = await client(adapter, slow, false);
      const r1 = await release({ background: await texture(3_000, '1') });
      const shown = new Promise((r) => c.on('shown', r));
      let appliedAt = 0;
      c.on('applied', () => (appliedAt = Date.now()));
      await publish(r1);
      expect(await shown).toMatchObject({ seq: 1, fromCache: false });
      expect(c.status().seq).toBe(1);
      await until(() => commits === 1);
      await new Promise((r) => setTimeout(r, 200));
      // On screen, not yet stored: no ack, no `applied`, and a reload would boot into nothing (the
      // relay offers it again).
      expect(meddler.acks).toEqual([]);
      expect(appliedAt).toBe(0);
      expect((await inner.state(ROOM)).seq).toBe(0);
      release_();
      await until(() => meddler.acks.length === 1);
      expect(meddler.acks[0]).toMatchObject({ seq: 1, slot: 'background', status: 'applied' });
      expect((await inner.state(ROOM)).seq).toBe(1);
      await until(() => appliedAt > 0);
    },
  );

  it.each(adapters)(
    '$name adapter: a commit that fails acks nothing it applied (the player does not hold it), nor fires applied',
    async (adapter) => {
      await start();
      const inner = await adapter.cache();
      let failNext = true;
      const failing = withCommit(inner, async (room, update) => {
        if (failNext) {
          failNext = false;
          throw new Error('QuotaExceededError: the disk is full');
        }
        await inner.commit(room, update);
      });
      const c = await client(adapter, failing, false);
      let applied = 0;
      c.on('applied', () => applied++);
      const r1 = await release({ background: await texture(3_000, '1') });
      const shown = new Promise((r) => c.on('shown', r));
      await publish(r1);
      expect(await shown).toMatchObject({ seq: 1 });
      await until(() => c.status().lastError?.includes('QuotaExceededError'));
      await new Promise((r) => setTimeout(r, 200));
      expect(meddler.acks).toEqual([]);
      expect(applied).toBe(0);
      expect((await inner.state(ROOM)).seq).toBe(0);
      // The next release's commit works: acked as before.
      const r2 = await build(key, r1.signed.release, { background: await texture(3_000, '2') });
      await publish(r2);
      await until(() => meddler.acks.length === 1);
      expect(meddler.acks[0]).toMatchObject({ seq: 2, slot: 'background', status: 'applied' });
      await until(() => applied === 1);
    },
  );

  /** A cache whose commits fail while `failing.on` (the adapter's own cache underneath). */
  async function failingCache(adapter: Adapter) {
    const inner = await adapter.cache();
    const failing = { on: true };
    const cache = withCommit(inner, async (room, update) => {
      if (failing.on) throw new Error('QuotaExceededError: the disk is full');
      await inner.commit(room, update);
    });
    return { inner, cache, failing };
  }

  it.each(adapters)(
    '$name adapter: after a failed commit, hello claims the seq stored; the relay offers the release again and it is stored, then acked',
    async (adapter) => {
      await start();
      const { inner, cache, failing } = await failingCache(adapter);
      const c = await client(adapter, cache, false);
      let applied = 0;
      c.on('applied', () => applied++);
      await publish(await release({ background: await texture(3_000, '1') }));
      await until(() => c.status().lastError?.includes('QuotaExceededError'));
      expect(c.status().seq).toBe(1); // (on screen)
      failing.on = false;
      meddler.dropAll();
      await until(() => meddler.hellos.length === 2, 10_000);
      expect(meddler.hellos[1]).toMatchObject({ seq: 0, slots: {} });
      await until(() => meddler.acks.length === 1, 10_000);
      expect(meddler.acks[0]).toMatchObject({ seq: 1, slot: 'background', status: 'applied' });
      expect((await inner.state(ROOM)).seq).toBe(1);
      await until(() => applied === 1);
      // Stored now: the next hello claims it.
      meddler.dropAll();
      await until(() => meddler.hellos.length === 3, 10_000);
      expect(meddler.hellos[2]).toMatchObject({ seq: 1 });
    },
  );

  it.each(adapters)(
    '$name adapter: the commit after a failed one stores the releases and blobs the failed one left unstored',
    async (adapter) => {
      await start();
      const { inner, cache, failing } = await failingCache(adapter);
      const c = await client(adapter, cache, false);
      const r1 = await release({ background: await texture(3_000, '1'), theme: theme('#102030', '1') });
      await publish(r1);
      await until(() => c.status().lastError?.includes('QuotaExceededError'));
      failing.on = false;
      // r2 changes the background only: its state still names r1 and r1's theme.
      const r2 = await build(key, r1.signed.release, {
        background: await texture(3_000, '2'),
        theme: theme('#102030', '1'),
      });
      await publish(r2);
      await until(() => meddler.acks.some((a) => a.seq === 2), 10_000);
      const stored = await inner.state(ROOM);
      expect(stored.seq).toBe(2);
      for (const entries of Object.values(stored.held)) {
        for (const entry of entries) {
          expect(await inner.blob(ROOM, entry.sha256), `${entry.version}`).not.toBeNull();
          expect(await inner.release(ROOM, entry.seq)).not.toBeNull();
        }
      }
      const themeSha = r1.signed.release.slots['theme']!.sha256;
      expect(stored.held['theme']?.at(-1)?.sha256).toBe(themeSha);
      expect(stored.held['background']).toMatchObject([{ seq: 1 }, { seq: 2 }]);
    },
  );
});
