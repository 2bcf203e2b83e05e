/**
 * The shared client suite: the one patch client (`player/core/`) through each adapter — the
 * browser's (IndexedDB + WebSocket) and Node's (files + framed TCP) — against the REAL relay
 * started in-process, with a meddler in front of it that passes everything on and lies on demand.
 * The same releases give the same outcomes and acks on both.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keySetRecord } from '../../signaling/testing/key-sets.ts';
import { buildRelease, buildRollback } from '../../publisher/build.ts';
import { PUSH_BLOB_MAX_BYTES } from '../../protocol/limits.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { generateSigningKey, type SigningKey } from '../../protocol/crypto.ts';
import { signRotation } from '../../protocol/keys.ts';
import type { Message } from '../../protocol/messages.ts';
import type { BuiltRelease } from '../../publisher/build.ts';
import type { SlotInput } from '../../protocol/assemble.ts';
import type { Release } from '../../protocol/release.ts';
import type { PatchHandlers } from '../../player/core/apply.ts';
import type { PatchCache } from '../../player/core/cache.ts';
import type { PatchClient } from '../../player/core/patch-client.ts';
import type { ConnectTransport } from '../../player/core/transport.ts';
import { RawConn, startTestServer, type TestServer } from '../../signaling/testing/helpers.ts';
import { adapters, type ClientOptions } from './helpers/adapters.ts';
import { startMeddler, type Meddler } from './helpers/meddler.ts';
import {
  game,
  nextApplied,
  publish as publishTo,
  release as build,
  rotate,
  ROOM,
  script,
  sleep,
  texture,
  theme,
  until,
} from './helpers/suite.ts';

describe.each(adapters)('PatchClient through the $name adapter, on the real relay', (adapter) => {
  let relay: TestServer;
  let meddler: Meddler;
  let key: SigningKey;
  let cache: PatchCache;
  const closers: (() => void)[] = [];

  const publish = (built: BuiltRelease) => publishTo(relay, built, key.publicKey);
  const release = (previous: Release | null, slots: Record<string, SlotInput>, signer = key) =>
    build(signer, previous, slots);

  function client(handlers: PatchHandlers, extra: Partial<ClientOptions> = {}): PatchClient {
    const made = adapter.client(meddler, cache, {
      room: ROOM,
      publicKey: key.publicKey,
      handlers,
      platform: 'unit test',
      backoff: { initialMs: 20, maxMs: 100 },
      ...extra,
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

  it('says hello, applies a release, acks every slot, and stores it', async () => {
    const g = game();
    const c = client(g.handlers);
    await c.start();
    const hello = await until(() => meddler.hellos[0]);
    expect(hello).toMatchObject({
      type: 'hello',
      v: 1,
      room: ROOM,
      role: 'player',
      seq: 0,
      platform: 'unit test',
      pushBlobs: true,
    });
    expect(hello.clientId).toMatch(/^p-[0-9a-f]{12}$/);

    const r1 = await release(null, {
      logic: script('export function update(b) { return b; }', '1.0.0'),
      background: await texture(5000, '1.0.0'),
      theme: theme('#112233', '1.0.0'),
    });
    const applied = nextApplied(c);
    await publish(r1);
    const detail = await applied;
    expect(detail).toMatchObject({ seq: 1, fromCache: false });
    expect(Object.values(detail.slots).map((s) => s.status)).toEqual(['applied', 'applied', 'applied']);
    // Config first, then the texture, then the script.
    expect(g.applied).toEqual(['theme:1.0.0:{"background":"#112233"}', 'background:1.0.0', 'logic:1.0.0']);
    await until(() => meddler.acks.length === 3);
    expect(meddler.acks.map((a) => [a.slot, a.status, a.seq])).toEqual([
      ['theme', 'applied', 1],
      ['background', 'applied', 1],
      ['logic', 'applied', 1],
    ]);
    const status = c.status();
    expect(status).toMatchObject({ room: ROOM, seq: 1, mode: 'relay', lastError: null, loading: null });
    expect(status.slots['background']).toEqual({
      version: '1.0.0',
      sha256: r1.signed.release.slots['background']!.sha256,
    });
    expect(status.bytesFromRelay).toBe([...r1.blobs.values()].reduce((n, b) => n + b.length, 0));
    // Every blob is small (≤ PUSH_BLOB_MAX_BYTES): pushed with the release, each chunk once, and
    // none asked for again (a client without `pushBlobs` asks: tests/client/push.test.ts).
    for (const slot of Object.values(r1.signed.release.slots)) {
      expect(meddler.chunksSent.get(slot.sha256)).toBe(slot.chunks.length);
    }
    expect(meddler.blobGets).toEqual([]);
    // A heartbeat carries the traffic counters.
    await until(() => meddler.heartbeats.length > 0);
    // Stored: the state, the release and every blob.
    expect((await cache.state(ROOM)).seq).toBe(1);
    expect((await cache.release(ROOM, 1))?.sig).toBe(r1.signed.sig);
    for (const [sha256, bytes] of r1.blobs) expect(await cache.blob(ROOM, sha256)).toEqual(bytes);
  });

  it('keeps its client id across a reload, and nobody else can take it meanwhile', async () => {
    const first = client(game().handlers);
    await first.start();
    const hello = await until(() => meddler.hellos[0]);
    expect(hello.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const id = await until(() => first.status().clientId ?? undefined);
    await until(() => relay.hub.rosterOf(ROOM).clients.some((c) => c.clientId === id) || undefined);
    first.close(); // the page reloads
    await until(() => !relay.hub.rosterOf(ROOM).clients.some((c) => c.clientId === id) || undefined);
    const thief = await RawConn.open(relay, 'ws');
    thief.hello({ room: ROOM, clientId: id });
    expect((await thief.next('welcome')).clientId).not.toBe(id);
    thief.close();
    const second = client(game().handlers);
    await second.start();
    const back = await until(() => meddler.hellos[1]);
    expect(back.clientSecret).toBe(hello.clientSecret);
    await until(
      () =>
        relay.hub.rosterOf(ROOM).clients.some((c) => c.clientId === id && c.role === 'player') || undefined,
    );
  });

  it('boots from the cache with no relay at all, then catches up when the relay returns', async () => {
    const first = client(game().handlers);
    await first.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, { logic: script('export function update(b) { return b; }', '1.0.0') });
    const applied = nextApplied(first);
    await publish(r1);
    await applied;
    first.close();
    await meddler.close();

    // Offline (nothing listens where the relay was): the cache alone applies what was held.
    const g2 = game();
    const second = client(g2.handlers);
    const booted = nextApplied(second);
    await second.start();
    expect(await booted).toMatchObject({
      seq: 1,
      fromCache: true,
      slots: { logic: { status: 'applied', version: '1.0.0' } },
    });
    expect(g2.applied).toEqual(['logic:1.0.0:cache']);
    expect(second.status()).toMatchObject({
      seq: 1,
      mode: 'offline',
      slots: { logic: { version: '1.0.0' } },
    });
    second.close();

    // Back online, the relay holding a newer release: hello says seq 1, the client catches up.
    const r2 = await release(r1.signed.release, {
      logic: script('export function update(b) { return b; } // 2', '2.0.0'),
    });
    await publish(r2);
    meddler = await startMeddler(relay);
    const third = client(game().handlers);
    const caughtUp = nextApplied(third, (d) => !d.fromCache);
    await third.start();
    expect((await until(() => meddler.hellos.at(-1))).seq).toBe(1);
    expect(await caughtUp).toMatchObject({ seq: 2, slots: { logic: { version: '2.0.0' } } });
  });

  it('reconnects with backoff after the connection drops, and says hello with what it holds', async () => {
    const c = client(game().handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, { theme: theme('#010203', '1') });
    const applied = nextApplied(c);
    await publish(r1);
    await applied;
    meddler.pause(); // (nothing to hold; it keeps the drop below from racing a reconnect's fetch)
    meddler.resume();
    meddler.dropAll();
    await until(() => c.status().mode === 'offline');
    // Published while the client is away: it gets it after its own reconnect.
    await publish(await release(r1.signed.release, { theme: theme('#040506', '2') }));
    await until(() => meddler.hellos.length === 2, 3_000);
    expect(meddler.hellos[1]).toMatchObject({ seq: 1, slots: { theme: { version: '1' } } });
    await until(() => c.status().seq === 2);
    expect(c.status().mode).toBe('relay');
  });

  it('gives up a connection that carries nothing any more (half-open) and dials again', async () => {
    // A connection that says welcome, then swallows everything sent and never answers or closes.
    const connections: { sent: Message[]; closes: number[] }[] = [];
    const connect: ConnectTransport = (handlers) => {
      const conn = { sent: [] as Message[], closes: [] as number[] };
      connections.push(conn);
      let closed = false;
      setTimeout(() => handlers.open(), 0);
      return {
        send(message) {
          if (closed) return false;
          conn.sent.push(message);
          if (message.type === 'hello') {
            const welcome: Message = {
              type: 'welcome',
              clientId: message.clientId,
              room: ROOM,
              seq: 0,
              heartbeatMs: 100,
              maxFrameBytes: 1024 * 1024,
              serverTime: new Date().toISOString(),
            };
            setTimeout(() => handlers.message(welcome, 0), 0);
          }
          return true;
        },
        close(code = 1000, reason = '') {
          if (closed) return;
          closed = true;
          conn.closes.push(code);
          handlers.close({ code, reason });
        },
      };
    };
    const c = client(game().handlers, { connect });
    const seen: string[] = [];
    c.addEventListener('status', () => {
      const error = c.status().lastError;
      if (error !== null) seen.push(error);
    });
    await c.start();
    await until(() => c.status().mode === 'relay');
    const started = Date.now();
    await until(() => connections.length === 2, 3_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(connections[0]!.closes).toEqual([4000]);
    // It asked the relay something before giving up, and kept its heartbeats going.
    const types = connections[0]!.sent.map((m) => m.type);
    expect(types.filter((t) => t === 'peers.get').length).toBeGreaterThanOrEqual(2);
    expect(types).toContain('heartbeat');
    expect(seen.some((e) => e.includes('nothing from the relay'))).toBe(true);
    await until(() => c.status().mode === 'relay');
    // Welcomed again: the connection's old error is history.
    await until(() => c.status().lastError === null);
  });

  it('says hello again when the peer id it announced changes, and only then', async () => {
    let peerId: string | undefined = 'pc-0123456789abcdef0123';
    const c = client(game().handlers, { peerId: () => peerId });
    await c.start();
    await until(() => c.status().mode === 'relay');
    expect(meddler.hellos[0]?.peerId).toBe(peerId);
    c.peerIdChanged(); // the same id: nothing to say
    peerId = undefined; // the swarm failed: the relay must stop listing us
    c.peerIdChanged();
    await until(() => meddler.hellos.length === 2);
    expect(meddler.hellos[1]).not.toHaveProperty('peerId');
    await until(() => c.status().mode === 'relay');
    expect(c.status().lastError).toBeNull();
    await sleep(100);
    expect(meddler.hellos).toHaveLength(2);
  });

  it('keeps an idle connection that answers', async () => {
    const c = client(game().handlers);
    await c.start();
    await until(() => c.status().mode === 'relay');
    await sleep(1_000); // ten heartbeats with nothing to say
    expect(meddler.hellos).toHaveLength(1);
    expect(meddler.connections).toBe(1);
    expect(c.status().mode).toBe('relay');
  });

  it('refuses a release signed by another key, an older seq and a tampered blob — none reaches the cache', async () => {
    const c = client(game().handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, { theme: theme('#010203', '1') });
    const applied = nextApplied(c);
    await publish(r1);
    await applied;
    const before = await cache.state(ROOM);

    const refusals: string[] = [];
    c.on('refused', (detail) => refusals.push(detail.code));

    const stranger = await generateSigningKey();
    const foreign = await release(r1.signed.release, { theme: theme('#ffffff', 'evil') }, stranger);
    meddler.announce(foreign.signed);
    await until(() => refusals.length === 1);
    expect(refusals).toEqual(['UNKNOWN_KEY']);

    const old = await release(null, { theme: theme('#000000', 'old') });
    meddler.announce(old.signed);
    await until(() => refusals.length === 2);
    expect(refusals[1]).toBe('STALE_SEQ');
    expect(c.status().lastError).toContain('STALE_SEQ');

    const bad = await release(r1.signed.release, { background: await texture(3000, 'tampered') });
    meddler.tamper(bad.signed.release.slots['background']!.sha256);
    await publish(bad);
    const ack = await until(() => meddler.acks.find((a) => a.slot === 'background'));
    expect(ack).toMatchObject({ seq: 2, status: 'failed' });
    expect(ack.error).toContain('HASH_MISMATCH');
    expect(c.status().seq).toBe(1);
    expect(await cache.state(ROOM)).toEqual(before);
    expect(await cache.release(ROOM, 2)).toBeNull();
  });

  it('acks a slot the game could not apply as failed, keeps the old content, and does not retry it', async () => {
    const g = game();
    const c = client(g.handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, { logic: script('export function update(b) { return b; }', '1') });
    let applied = nextApplied(c);
    await publish(r1);
    await applied;
    const r2 = await release(r1.signed.release, { logic: script('// FAIL', '2') });
    applied = nextApplied(c);
    await publish(r2);
    expect((await applied).slots['logic']).toMatchObject({
      status: 'failed',
      version: '2',
      error: 'update() threw Error: FAIL',
    });
    expect(c.status()).toMatchObject({ seq: 2, slots: { logic: { version: '1' } } });
    const ack = await until(() => meddler.acks.find((a) => a.seq === 2 && a.slot === 'logic'));
    expect(ack).toMatchObject({ status: 'failed', error: 'update() threw Error: FAIL' });
    // A later release that still names the failed script: failed again, without trying it.
    const r3 = await release(r2.signed.release, { theme: theme('#123456', '3') });
    applied = nextApplied(c);
    await publish(r3);
    expect((await applied).slots['logic']).toMatchObject({ status: 'failed' });
    expect(g.applied.filter((a) => a.startsWith('logic'))).toEqual(['logic:1', 'logic:2']);
  });

  it('tries a script that only timed out again when a later release names it', async () => {
    const g = game();
    const c = client(g.handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, { logic: script('// SLOW', '1') });
    let applied = nextApplied(c);
    await publish(r1);
    expect((await applied).slots['logic']).toMatchObject({ status: 'failed', error: 'update() took longer' });
    const r2 = await release(r1.signed.release, { theme: theme('#123456', '2') });
    applied = nextApplied(c);
    await publish(r2);
    await applied;
    expect(g.applied.filter((a) => a.startsWith('logic'))).toEqual(['logic:1', 'logic:1']);
  });

  it('shrugs off junk from the relay: records it, stays connected, still takes releases', async () => {
    const c = client(game().handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1 && c.status().mode === 'relay');
    meddler.sendRaw('not json');
    await until(() => /not (valid )?JSON/.test(c.status().lastError ?? ''));
    meddler.sendRaw(JSON.stringify({ type: 'release', signed: { release: 'nope' } }));
    await until(() => c.status().lastError?.includes('BAD_MESSAGE'));
    meddler.sendBinary(new Uint8Array([0xff, 0xfe, 0x03]));
    await until(() => /binary frame|BAD_UTF8/.test(c.status().lastError ?? ''));
    const applied = nextApplied(c);
    await publish(await release(null, { theme: theme('#0f0f0f', 'after-junk') }));
    expect(await applied).toMatchObject({ seq: 1 });
    expect(meddler.hellos).toHaveLength(1);
  });

  it('lets a newer release supersede one that is still downloading', async () => {
    const g = game();
    const c = client(g.handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    meddler.pause();
    const r1 = await release(null, { background: await texture(PUSH_BLOB_MAX_BYTES + 4_000, 'slow') });
    await publish(r1);
    await until(() => c.status().loading?.seq === 1);
    const r2 = await release(r1.signed.release, { background: await texture(3_000, 'fast') });
    const applied = nextApplied(c);
    await publish(r2);
    meddler.resume();
    expect(await applied).toMatchObject({ seq: 2, slots: { background: { version: 'fast' } } });
    await sleep(100);
    expect(g.applied).toEqual(['background:fast']);
    expect(await cache.release(ROOM, 1)).toBeNull();
    expect(await cache.release(ROOM, 2)).not.toBeNull();
  });

  it('a release that supersedes a download reuses the blobs it had finished', async () => {
    const c = client(game().handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    // A script over PUSH_BLOB_MAX_BYTES: fetched with `blob.get`, which the meddler holds back.
    const r1 = await release(null, {
      background: await texture(PUSH_BLOB_MAX_BYTES + 4_000, 'T'),
      logic: script(`export function update(b) { return b; } // 1 ${'-'.repeat(PUSH_BLOB_MAX_BYTES)}`, '1'),
    });
    const t = r1.signed.release.slots['background']!;
    meddler.pause(r1.signed.release.slots['logic']!.sha256);
    await publish(r1);
    // The texture is whole and verified; the script is stuck.
    await until(() => (c.status().loading?.received ?? 0) >= t.size);
    const r2 = await release(r1.signed.release, {
      logic: script('export function update(b) { return b; } // 2', '2'),
    });
    const applied = nextApplied(c);
    await publish(r2);
    // Release the held script only once the client has seen r2 (else r1 may finish first).
    await until(() => (c.status().loading?.seq ?? c.status().seq) >= 2);
    meddler.resume();
    expect(await applied).toMatchObject({ seq: 2, slots: { background: { status: 'applied' } } });
    expect(meddler.chunksSent.get(t.sha256)).toBe(t.chunks.length);
  });

  it('a release that supersedes a download goes on with a blob both need, from where it was', async () => {
    const c = client(game().handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, { background: await texture(PUSH_BLOB_MAX_BYTES + 24_000, 'T') });
    const t = r1.signed.release.slots['background']!;
    // Hold the relay back once part of the texture is in.
    let held = false;
    c.addEventListener('status', () => {
      if (!held && (c.status().loading?.received ?? 0) >= 8_000) {
        held = true;
        meddler.pause();
      }
    });
    await publish(r1);
    await until(() => (c.status().loading?.received ?? 0) >= 8_000);
    const r2 = await release(r1.signed.release, { theme: theme('#0a0a0a', '2') });
    const applied = nextApplied(c);
    await publish(r2);
    await until(() => c.status().loading?.seq === 2);
    await sleep(50);
    meddler.resume();
    expect(await applied).toMatchObject({ seq: 2, slots: { background: { status: 'applied' } } });
    expect(meddler.chunksSent.get(t.sha256)).toBe(t.chunks.length);
  });

  it('follows a key rotation signed by the pinned key', async () => {
    const c = client(game().handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, { theme: theme('#010101', 'first') });
    let applied = nextApplied(c);
    await publish(r1);
    await applied;
    const next = await generateSigningKey();
    await rotate(relay, await keySetRecord(ROOM, 2, [key, next], [key, next]));
    const r2 = await release(r1.signed.release, { theme: theme('#0a0b0c', 'rotated') }, next);
    applied = nextApplied(c);
    await publish(r2);
    expect(await applied).toMatchObject({ seq: 2, slots: { theme: { status: 'applied' } } });
  });

  it('keeps rotation records learnt while a release was being applied, for the next offline boot', async () => {
    let gate: (() => void) | null = null;
    const g = game();
    const c = client({
      ...g.handlers,
      config: async (change, value) => {
        if (change.slot.version === 'slow') await new Promise<void>((resolve) => (gate = resolve));
        return g.handlers.config!(change, value);
      },
    });
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, { theme: theme('#010101', 'slow') });
    await publish(r1);
    await until(() => gate);
    // While seq 1 is being applied, seq 2 comes signed by a key the pinned key rotated to.
    const next = await generateSigningKey();
    await rotate(relay, await keySetRecord(ROOM, 2, [key, next], [key, next]));
    const r2 = await release(r1.signed.release, { theme: theme('#020202', '2') }, next);
    await publish(r2);
    await until(() => c.status().loading?.seq === 2);
    const applied = nextApplied(c, (d) => d.seq === 2);
    gate!();
    await applied;
    expect((await cache.state(ROOM)).trustRoot?.record.keySet.version).toBe(2);
    c.close();
    // Offline, the cache alone: release 2 verifies under the stored rotation.
    await meddler.close();
    const again = client(game().handlers);
    const booted = nextApplied(again);
    await again.start();
    expect(await booted).toMatchObject({ seq: 2, fromCache: true, slots: { theme: { version: '2' } } });
  });

  it('skips a slot outside its staged rollout and a python script', async () => {
    const c = client(game().handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const built = await buildRelease({
      room: ROOM,
      key,
      previous: null,
      slots: {
        theme: { ...theme('#0a0b0c', '1'), rolloutPercent: 0 },
        legacy: { kind: 'script', lang: 'python', bytes: utf8('print(1)'), version: '1' },
      },
    });
    const applied = nextApplied(c);
    await publish(built);
    const detail = await applied;
    expect(detail.slots['theme']).toMatchObject({
      status: 'skipped',
      error: 'outside the staged rollout (0%)',
    });
    expect(detail.slots['legacy']).toMatchObject({ status: 'skipped' });
    expect(c.status().slots).toEqual({});
    const acks = await until(() => meddler.acks.length === 2 && meddler.acks);
    expect(acks.map((a) => a.status)).toEqual(['skipped', 'skipped']);
  });

  it('applies a rollback that arrives while the release it undoes is still being applied', async () => {
    // Seq 1 logic X → seq 2 logic Y (the game is still running its trial frames) → seq 3 rolls back
    // to X. X was held when 3 arrived, so its download fetched nothing; once 2 has landed, X must
    // come back from the cache, not be acked as a missing blob and remembered as failed.
    let gate: (() => void) | null = null;
    const g = game();
    const c = client({
      ...g.handlers,
      script: async (change, source) => {
        if (source.includes('TRIAL')) await new Promise<void>((resolve) => (gate = resolve));
        return g.handlers.script!(change, source);
      },
    });
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, { logic: script('export function update(b) { return b; }', 'X') });
    let applied = nextApplied(c);
    await publish(r1);
    await applied;
    const r2 = await release(r1.signed.release, {
      logic: script('/* TRIAL */ export function update(b) { return b; }', 'Y'),
    });
    await publish(r2);
    await until(() => gate);
    const r3 = await buildRollback({ current: r2.signed.release, target: r1.signed.release, key });
    await publish({ signed: r3, blobs: new Map() });
    await until(() => c.status().loading === null || c.status().loading?.seq === 3);
    await sleep(50);
    applied = nextApplied(c, (d) => d.seq === 3);
    gate!();
    expect((await applied).slots['logic']).toMatchObject({ status: 'applied', version: 'X' });
    const sha1 = r1.signed.release.slots['logic']!.sha256;
    expect(c.status()).toMatchObject({ seq: 3, slots: { logic: { version: 'X', sha256: sha1 } } });
    expect(await until(() => meddler.acks.find((a) => a.seq === 3))).toMatchObject({ status: 'applied' });
    expect((await cache.state(ROOM)).failed).toEqual({});
  });

  it('does not download what it will skip: a slot outside its staged rollout', async () => {
    const c = client(game().handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    // Both small enough to push: the relay pushes the theme, and not the texture outside the rollout.
    const r1 = await buildRelease({
      room: ROOM,
      key,
      previous: null,
      slots: {
        background: { ...(await texture(5_000, '1')), rolloutPercent: 0 },
        theme: theme('#010101', '1'),
      },
      chunkSize: 1024,
    });
    let applied = nextApplied(c);
    await publish(r1);
    expect((await applied).slots['background']).toMatchObject({ status: 'skipped' });
    // A later release carrying the same slot over: still not fetched.
    const r2 = await release(r1.signed.release, { theme: theme('#020202', '2') });
    applied = nextApplied(c);
    await publish(r2);
    expect((await applied).slots['background']).toMatchObject({ status: 'skipped' });
    const themeBytes = [r1, r2].reduce((n, r) => n + r.signed.release.slots['theme']!.size, 0);
    expect(c.status().bytesFromRelay).toBe(themeBytes);
    // Not a chunk of the texture reached the player, pushed or asked for; each theme came pushed.
    expect(meddler.chunksSent.get(r1.signed.release.slots['background']!.sha256)).toBeUndefined();
    for (const r of [r1, r2]) expect(meddler.chunksSent.get(r.signed.release.slots['theme']!.sha256)).toBe(1);
    expect(meddler.blobGets).toEqual([]);
  });

  it('reports a run-time failure: acks it and falls back in what it holds', async () => {
    const c = client(game().handlers);
    await c.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, { logic: script('export function update(b) { return b; }', '1') });
    let applied = nextApplied(c);
    await publish(r1);
    await applied;
    const r2 = await release(r1.signed.release, {
      logic: script('export function update(b) { return b; } //2', '2'),
    });
    applied = nextApplied(c);
    await publish(r2);
    await applied;
    const sha1 = r1.signed.release.slots['logic']!.sha256;
    const sha2 = r2.signed.release.slots['logic']!.sha256;
    await c.reportFailure('logic', sha2, 'update() took longer than 50 ms (stopped)', sha1);
    expect(c.status().slots['logic']).toEqual({ version: '1', sha256: sha1 });
    const ack = await until(() => meddler.acks.find((a) => a.status === 'failed'));
    expect(ack).toMatchObject({ seq: 2, slot: 'logic', version: '2', sha256: sha2 });
    // The fallback survives a reboot: its blob was kept.
    c.close();
    const g = game();
    const again = client(g.handlers);
    await again.start();
    expect(g.applied).toEqual(['logic:1:cache']);
  });

  it('after a reload, a script failing at run time falls back to the one held before it', async () => {
    const first = client(game().handlers);
    await first.start();
    await until(() => meddler.hellos.length === 1);
    const r1 = await release(null, { logic: script('export function update(b) { return b; }', '1') });
    let applied = nextApplied(first);
    await publish(r1);
    await applied;
    const r2 = await release(r1.signed.release, {
      logic: script('export function update(b) { return b; } //2', '2'),
    });
    applied = nextApplied(first);
    await publish(r2);
    await applied;
    first.close();
    // The page reloads: the game gets the newest script only, and so falls back to its built-in one.
    const g = game();
    const c = client(g.handlers);
    await c.start();
    expect(g.applied).toEqual(['logic:2:cache']);
    await until(() => c.status().mode === 'relay');
    const sha1 = r1.signed.release.slots['logic']!.sha256;
    const sha2 = r2.signed.release.slots['logic']!.sha256;
    await c.reportFailure('logic', sha2, 'update() threw Error: late', null);
    // The client installs the one it held before, instead of forgetting the slot's history.
    expect(g.applied).toEqual(['logic:2:cache', 'logic:1:cache']);
    expect(c.status().slots['logic']).toEqual({ version: '1', sha256: sha1 });
    expect((await cache.state(ROOM)).held['logic']?.map((e) => e.version)).toEqual(['1']);
    expect(await cache.blob(ROOM, sha1)).not.toBeNull();
    expect(await until(() => meddler.acks.find((a) => a.status === 'failed'))).toMatchObject({
      seq: 2,
      sha256: sha2,
    });
  });
});
