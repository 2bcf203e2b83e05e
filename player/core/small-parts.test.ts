import { describe, expect, it } from 'vitest';
import { decodeBase64 } from './base64.ts';
import { relaySocketUrl, relayUrl } from './relay-url.ts';
import { parsePlayerParams } from '../page/params.ts';
import { FrameMeter } from '../page/frame-meter.ts';
import { buildRelease } from '../../publisher/build.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { emptyRoomState } from './schema.ts';
import { applyRelease } from './release-apply.ts';
import { RecentBlobs } from './release-fetch.ts';
import { Liveness } from './liveness.ts';
import { parseAppliedDetail } from './status.ts';

describe('decodeBase64', () => {
  it('decodes, and refuses what is not base64', () => {
    expect([...decodeBase64('AAEC/w==')]).toEqual([0, 1, 2, 255]);
    expect(() => decodeBase64('@@@@')).toThrow();
  });
});

describe('relaySocketUrl', () => {
  it('maps http(s) origins to ws(s)://…/ws', () => {
    expect(relaySocketUrl('http://127.0.0.1:8787')).toBe('ws://127.0.0.1:8787/ws');
    expect(relaySocketUrl('https://relay.example/')).toBe('wss://relay.example/ws');
  });
  it('keeps a path prefix, for the socket and the HTTP API alike', () => {
    expect(relaySocketUrl('https://host.example/relay')).toBe('wss://host.example/relay/ws');
    expect(relayUrl('https://host.example/relay/', '/api/rooms/demo/keys').href).toBe(
      'https://host.example/relay/api/rooms/demo/keys',
    );
    expect(relayUrl('http://127.0.0.1:8787', '/api/rooms/demo/keys').href).toBe(
      'http://127.0.0.1:8787/api/rooms/demo/keys',
    );
  });
});

describe('parsePlayerParams', () => {
  const key = 'A'.repeat(43);
  it('reads room, key and an optional server', () => {
    expect(parsePlayerParams(`?room=demo&key=${key}`, 'http://127.0.0.1:8787')).toEqual({
      ok: true,
      value: {
        room: 'demo',
        key,
        server: 'http://127.0.0.1:8787',
        servers: ['http://127.0.0.1:8787'],
        p2p: true,
        iceServers: [],
      },
    });
    expect(parsePlayerParams(`?room=demo&key=${key}&server=https://r.example:9/x`, 'http://h')).toMatchObject(
      {
        ok: true,
        value: { server: 'https://r.example:9' },
      },
    );
  });
  it('reads a comma list of relays for failover, the first being the server', () => {
    const search = `?room=demo&key=${key}&server=http://a.example:8787,https://b.example/x,http://a.example:8787`;
    expect(parsePlayerParams(search, 'http://h')).toMatchObject({
      ok: true,
      value: { server: 'http://a.example:8787', servers: ['http://a.example:8787', 'https://b.example'] },
    });
    const tooMany = Array.from({ length: 9 }, (_, i) => `http://r${i}.example`).join(',');
    expect(parsePlayerParams(`?room=demo&key=${key}&server=${tooMany}`, 'http://h')).toMatchObject({
      ok: false,
    });
    expect(parsePlayerParams(`?room=demo&key=${key}&server=http://a.example,nope`, 'http://h')).toMatchObject(
      {
        ok: false,
      },
    );
  });
  it('reads the swarm switch and the ICE servers', () => {
    expect(parsePlayerParams(`?room=demo&key=${key}&p2p=off`, 'http://h')).toMatchObject({
      ok: true,
      value: { p2p: false, iceServers: [] },
    });
    const search = `?room=demo&key=${key}&ice=stun:stun.example:3478,turn:turn.example:3478?transport=udp,turns:turn.example:5349&iceUser=u1&iceCredential=s3cret`;
    expect(parsePlayerParams(search, 'http://h')).toMatchObject({
      ok: true,
      value: {
        p2p: true,
        iceServers: [
          { urls: ['stun:stun.example:3478'] },
          {
            urls: ['turn:turn.example:3478?transport=udp', 'turns:turn.example:5349'],
            username: 'u1',
            credential: 's3cret',
          },
        ],
      },
    });
  });
  it.each([
    ['?key=x', 'room'],
    [`?room=demo&key=${'A'.repeat(43)}&p2p=maybe`, 'p2p'],
    [`?room=demo&key=${'A'.repeat(43)}&ice=http://evil.example`, 'ice'],
    [`?room=demo&key=${'A'.repeat(43)}&ice=turn:t.example:3478`, 'iceUser'],
    ['?room=Demo!&key=x', 'room'],
    ['?room=demo&key=short', 'key'],
    [`?room=demo&key=${'A'.repeat(43)}&server=javascript:alert(1)`, 'http'],
  ])('refuses %s', (search, word) => {
    const r = parsePlayerParams(search, 'http://h');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(word);
  });
});

describe('FrameMeter', () => {
  it('measures intervals and the longest frame', () => {
    const m = new FrameMeter();
    expect(m.tick(1000)).toBe(0);
    expect(m.tick(1016)).toBeCloseTo(0.016);
    m.tick(1116);
    expect(m.read(true)).toEqual({ frames: 2, longestMs: 100 });
    expect(m.read()).toEqual({ frames: 0, longestMs: 0 });
  });

  it('gives the frame rate over half-second windows: one figure per window, 0 before the first', () => {
    const m = new FrameMeter();
    m.tick(1000);
    for (let t = 1020; t < 1500; t += 20) {
      m.tick(t);
      expect(m.fps).toBe(0);
    }
    m.tick(1500); // 25 frames in 500 ms
    expect(m.fps).toBeCloseTo(50);
    // A slower window: the figure stays until that window ends, then says so.
    for (let t = 1540; t < 2000; t += 40) {
      m.tick(t);
      expect(m.fps).toBeCloseTo(50);
    }
    m.tick(2020);
    expect(m.fps).toBeCloseTo((13 * 1000) / 520); // 13 frames in 520 ms: 25/s
  });
});

describe('applyRelease', () => {
  it('fails a slot whose blob is missing without remembering the blob as failed', async () => {
    const key = await generateSigningKey();
    const built = await buildRelease({
      room: 'demo',
      key,
      previous: null,
      slots: {
        logic: { kind: 'script', bytes: utf8('export function update(b) { return b; }'), version: '1' },
      },
    });
    const result = await applyRelease({
      state: emptyRoomState('demo'),
      signed: built.signed,
      blobs: new Map(),
      handlers: { script: () => ({ status: 'applied' }) },
      clientId: 'p-0123456789ab',
    });
    expect(result.outcomes['logic']).toMatchObject({ status: 'failed' });
    expect(result.state.failed).toEqual({});
  });

  it("tells the game's removed handler about each applied slot a release drops, once", async () => {
    const key = await generateSigningKey();
    const theme = utf8('{"background":"#123456"}');
    const bg = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1]);
    const first = await buildRelease({
      room: 'demo',
      key,
      previous: null,
      slots: {
        theme: { kind: 'config', bytes: theme, version: 't1' },
        background: { kind: 'texture', bytes: bg, mime: 'image/png', version: 'b1' },
      },
    });
    const removed: unknown[] = [];
    const handlers = {
      config: () => ({ status: 'applied' }) as const,
      texture: () => ({ status: 'applied' }) as const,
      removed: (slot: unknown) => void removed.push(slot),
    };
    const one = await applyRelease({
      state: emptyRoomState('demo'),
      signed: first.signed,
      blobs: first.blobs,
      handlers,
      clientId: 'p-0123456789ab',
    });
    expect(removed).toEqual([]);
    const second = await buildRelease({
      room: 'demo',
      key,
      previous: first.signed.release,
      slots: {},
      remove: ['background'],
    });
    const two = await applyRelease({
      state: one.state,
      signed: second.signed,
      blobs: new Map(),
      handlers: { ...handlers, removed: (slot: unknown) => void removed.push(slot) },
      clientId: 'p-0123456789ab',
    });
    expect(removed).toEqual([
      {
        name: 'background',
        seq: 2,
        previous: { version: 'b1', sha256: first.signed.release.slots['background']!.sha256 },
      },
    ]);
    expect(Object.keys(two.state.held)).toEqual(['theme']);
    // The next release does not name it either: nothing more to announce.
    const third = await buildRelease({ room: 'demo', key, previous: second.signed.release, slots: {} });
    await applyRelease({
      state: two.state,
      signed: third.signed,
      blobs: new Map(),
      handlers,
      clientId: 'p-0123456789ab',
    });
    expect(removed).toHaveLength(1);
  });
});

describe('RecentBlobs', () => {
  it('keeps the newest few blobs, within a byte budget', () => {
    const recent = new RecentBlobs();
    for (let i = 0; i <= RecentBlobs.maxCount; i++) recent.put(`b${i}`, new Uint8Array(10));
    expect(recent.get('b0')).toBeUndefined();
    expect(recent.get(`b${RecentBlobs.maxCount}`)).toHaveLength(10);
    recent.put('big', new Uint8Array(RecentBlobs.maxBytes));
    expect(recent.get('big')).toHaveLength(RecentBlobs.maxBytes);
    expect(recent.get(`b${RecentBlobs.maxCount}`)).toBeUndefined();
  });
});

describe('Liveness', () => {
  it('asks after a silent interval and gives up after three', () => {
    const l = new Liveness();
    expect(l.tick()).toBe('fine');
    expect([l.tick(), l.tick(), l.tick()]).toEqual(['ask', 'ask', 'dead']);
    const m = new Liveness();
    expect([m.tick(), m.tick()]).toEqual(['fine', 'ask']);
    m.heard();
    expect([m.tick(), m.tick(), m.tick()]).toEqual(['fine', 'ask', 'ask']);
  });
});

describe('parseAppliedDetail', () => {
  it('takes what the client sends and nothing else', () => {
    const detail = {
      seq: 3,
      version: '1.2.0',
      fromCache: false,
      slots: {
        logic: { version: '1.2.0', sha256: 'a'.repeat(64), status: 'failed', error: 'update() threw' },
        theme: { version: '1.0.0', sha256: 'b'.repeat(64), status: 'applied' },
      },
    };
    expect(parseAppliedDetail(detail)).toEqual({ ok: true, value: detail });
    for (const junk of [
      null,
      'applied',
      { ...detail, seq: -1 },
      { ...detail, fromCache: 'no' },
      { ...detail, slots: { logic: { version: '1', sha256: 'x', status: 'applied' } } },
      { ...detail, slots: { logic: { version: '1', sha256: 'a'.repeat(64), status: 'great' } } },
    ]) {
      expect(parseAppliedDetail(junk).ok).toBe(false);
    }
  });
});
