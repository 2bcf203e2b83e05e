/**
 * The HTTP API on a real server: publish and its refusals (each one leaves the previous release
 * served), history, blobs, uploads, keys and rotation, roster, CORS, health and metrics.
 */
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keySetRecord } from '../testing/key-sets.ts';
import {
  ApiPath,
  ErrorCode,
  MAX_SCRIPT_BYTES,
  configBytes,
  generateSigningKey,
  parseErrorBody,
  parseHistoryBody,
  parseKeysBody,
  parseRosterBody,
  sha256Hex,
  signRelease,
  signRotation,
  toBase64,
  utf8,
} from '../../protocol/index.ts';
import { buildRelease, type BuiltRelease } from '../../publisher/build.ts';
import {
  RawConn,
  TestRoom,
  pngBytes,
  OPERATOR_HEADERS,
  postRelease,
  startTestServer,
  type TestServer,
} from '../testing/helpers.ts';

let server: TestServer;
let room: TestRoom;

beforeEach(async () => {
  server = await startTestServer({ maxBodyBytes: 2 * 1024 * 1024 });
  room = await TestRoom.create(server.url);
});
afterEach(async () => {
  await server.dispose();
});

async function latestSeq(): Promise<number> {
  const res = await fetch(server.url + ApiPath.release('test'));
  const body: unknown = await res.json();
  return typeof body === 'object' &&
    body !== null &&
    'release' in body &&
    typeof body.release === 'object' &&
    body.release !== null &&
    'seq' in body.release &&
    typeof body.release.seq === 'number'
    ? body.release.seq
    : -1;
}

/** Expects a refusal with `code` and checks the relay still serves seq 1. */
async function expectRefused(res: { status: number; body: unknown }, code: string, status?: number) {
  const parsed = parseErrorBody(res.body);
  expect(parsed.ok && parsed.value.error.code).toBe(code);
  if (status) expect(res.status).toBe(status);
  else expect(res.status).toBeGreaterThanOrEqual(400);
  expect(await latestSeq()).toBe(1);
}

describe('publish', () => {
  it('accepts a signed release with its blobs and serves it', async () => {
    const built = await room.build({
      version: '1.1.0',
      slots: {
        logic: {
          kind: 'script',
          lang: 'js',
          bytes: utf8('export function update(b){return b}//x'),
          version: '1.1.0',
        },
      },
    });
    const res = await room.publish(built);
    expect(res).toEqual({ status: 201, body: { room: 'test', seq: 2, version: '1.1.0' } });
    expect(await latestSeq()).toBe(2);
    const history = parseHistoryBody(await (await fetch(server.url + ApiPath.releases('test'))).json());
    expect(history.ok && history.value.releases.map((r) => r.release.seq)).toEqual([2, 1]);
  });

  it('lists the blobs it lacks, then accepts them', async () => {
    const built = await room.build({
      slots: { logic: { kind: 'script', bytes: utf8('export const x = 1;'), version: '2' } },
    });
    const res = await room.publish(built, { omitBlobs: true });
    expect(res.status).toBe(409);
    const parsed = parseErrorBody(res.body);
    expect(parsed.ok && parsed.value.error).toMatchObject({
      code: ErrorCode.BLOB_MISSING,
      missing: [built.signed.release.slots['logic']!.sha256],
    });
    expect((await room.publish(built)).status).toBe(201);
  });

  it('takes blobs uploaded raw with PUT once a verified release names them, checking their hash', async () => {
    const png = await pngBytes(100, 100, '#00ff00');
    const sha = await sha256Hex(png);
    const early = await fetch(server.url + ApiPath.blob(sha), { method: 'PUT', body: new Uint8Array(png) });
    await expectRefused(
      { status: early.status, body: await early.json() },
      ErrorCode.UPLOAD_NOT_EXPECTED,
      403,
    );
    const built = await room.build({
      slots: { background: { kind: 'texture', mime: 'image/png', bytes: png, version: '2' } },
    });
    expect((await room.publish(built, { omitBlobs: true })).status).toBe(409);
    const wrong = await fetch(server.url + ApiPath.blob(sha), {
      method: 'PUT',
      body: new Uint8Array(png.length).fill(7),
    });
    expect(wrong.status).toBe(422);
    const put = await fetch(server.url + ApiPath.blob(sha), { method: 'PUT', body: new Uint8Array(png) });
    expect(put.status).toBe(201);
    expect(await put.json()).toEqual({ sha256: sha, size: png.length, stored: true });
    const again = await fetch(server.url + ApiPath.blob(sha), { method: 'PUT', body: new Uint8Array(png) });
    expect(again.status).toBe(200);
    expect((await room.publish(built, { omitBlobs: true })).status).toBe(201);
  });

  it('refuses a bad signature', async () => {
    const built = await room.build({ slots: {} });
    const tampered: BuiltRelease = {
      ...built,
      signed: { ...built.signed, release: { ...built.signed.release, version: 'evil' } },
    };
    await expectRefused(await room.publish(tampered), ErrorCode.BAD_SIGNATURE, 403);
  });

  it('refuses an unknown key', async () => {
    const stranger = await generateSigningKey();
    const built = await buildRelease({
      room: 'test',
      key: stranger,
      previous: room.latest!.release,
      slots: {},
    });
    await expectRefused(
      await postRelease(server.url, built, { publicKey: stranger.publicKey }),
      ErrorCode.UNKNOWN_KEY,
      403,
    );
  });

  it('refuses a stale seq', async () => {
    const built = await buildRelease({ room: 'test', key: room.key, previous: null, slots: {} });
    await expectRefused(await room.publish(built), ErrorCode.STALE_SEQ, 409);
  });

  it('refuses an expired release', async () => {
    const built = await room.build({ slots: {}, now: new Date(Date.now() - 10_000), lifetimeMs: 5_000 });
    await expectRefused(await room.publish(built), ErrorCode.EXPIRED, 422);
  });

  it('refuses a release for another room than the path says', async () => {
    const built = await room.build({ slots: {} });
    const res = await fetch(server.url + ApiPath.releases('other'), {
      method: 'POST',
      headers: OPERATOR_HEADERS,
      body: JSON.stringify({ signed: built.signed, publicKey: room.key.publicKey }),
    });
    await expectRefused({ status: res.status, body: await res.json() }, ErrorCode.WRONG_ROOM, 400);
  });

  it('refuses a blob whose hash does not match', async () => {
    const built = await room.build({
      slots: { logic: { kind: 'script', bytes: utf8('let a = 1;'), version: '2' } },
    });
    const sha = built.signed.release.slots['logic']!.sha256;
    const res = await fetch(server.url + ApiPath.releases('test'), {
      method: 'POST',
      body: JSON.stringify({ signed: built.signed, blobs: { [sha]: toBase64(utf8('let a = 2;')) } }),
    });
    await expectRefused({ status: res.status, body: await res.json() }, ErrorCode.HASH_MISMATCH, 422);
  });

  it('refuses an "image" that does not decode, or is not what its mime says', async () => {
    const notImage = await room.build({
      slots: {
        background: {
          kind: 'texture',
          mime: 'image/png',
          bytes: utf8('<html>not a png</html>'),
          version: '2',
        },
      },
    });
    await expectRefused(await room.publish(notImage), ErrorCode.BAD_IMAGE, 422);
    const png = await pngBytes();
    const truncated = await room.build({
      slots: {
        background: {
          kind: 'texture',
          mime: 'image/png',
          bytes: png.subarray(0, png.length - 30),
          version: '2',
        },
      },
    });
    await expectRefused(await room.publish(truncated), ErrorCode.BAD_IMAGE, 422);
    const liar = await room.build({
      slots: { background: { kind: 'texture', mime: 'image/jpeg', bytes: png, version: '2' } },
    });
    await expectRefused(await room.publish(liar), ErrorCode.BAD_IMAGE, 422);
  });

  it('checks a PNG without decoding it (its structure and a counted inflate), a JPEG by decoding it', async () => {
    // TestRoom.create published a PNG background: checked once, never decoded in full.
    const counts = server.relay.textureChecks;
    expect(counts).toMatchObject({ checks: 1, fullDecodes: 0, inflatedBytes: 48 * (1 + 64 * 3) });
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const built = await room.build({
      slots: { background: { kind: 'texture', mime: 'image/jpeg', bytes: jpeg, version: '2' } },
    });
    expect((await room.publish(built)).status).toBe(201);
    expect(counts).toMatchObject({ checks: 1, fullDecodes: 1 });
  });

  it('refuses a colour outside sRGB hex', async () => {
    for (const background of ['#12345', 'red', '#gg0000', '#1234567']) {
      const built = await room.build({
        slots: { theme: { kind: 'config', bytes: configBytes({ background }), version: '2' } },
      });
      await expectRefused(await room.publish(built), ErrorCode.BAD_CONFIG, 422);
    }
  });

  it('refuses a script over the size limit, and one that is not UTF-8', async () => {
    const huge = await room.build({
      slots: {
        logic: { kind: 'script', bytes: new Uint8Array(MAX_SCRIPT_BYTES + 1).fill(0x61), version: '2' },
      },
    });
    await expectRefused(await room.publish(huge), ErrorCode.BAD_SLOT, 422);
    const binary = await room.build({
      slots: { logic: { kind: 'script', bytes: new Uint8Array([0x66, 0xff, 0xfe, 0x00]), version: '2' } },
    });
    await expectRefused(await room.publish(binary), ErrorCode.BAD_SCRIPT, 422);
  });

  it('refuses a body that is not JSON, the wrong shape, or over the limit', async () => {
    const post = async (body: string | Uint8Array) => {
      const res = await fetch(server.url + ApiPath.releases('test'), {
        method: 'POST',
        body: typeof body === 'string' ? body : new Uint8Array(body),
      });
      return { status: res.status, body: await res.json() };
    };
    await expectRefused(await post('{"signed": '), ErrorCode.BAD_JSON, 400);
    await expectRefused(await post(new Uint8Array([0xff, 0xfe])), ErrorCode.BAD_JSON, 400);
    await expectRefused(
      await post('{"signed": {}, "blobs": {"nothex": "AAAA"}}'),
      ErrorCode.BAD_MESSAGE,
      400,
    );
    await expectRefused(await post('{"signed": {"release": 1}}'), ErrorCode.BAD_RELEASE, 400);
    await expectRefused(await post('x'.repeat(3 * 1024 * 1024)), ErrorCode.TOO_LARGE, 413);
  });

  it('refuses the first release of a room without a key to trust', async () => {
    const key = await generateSigningKey();
    const built = await buildRelease({ room: 'fresh', key, previous: null, slots: {} });
    const res = await postRelease(server.url, built);
    expect(res.status).toBe(404);
    expect(parseErrorBody(res.body).ok).toBe(true);
  });

  it('pushes nothing to clients on a refusal', async () => {
    const c = await RawConn.open(server, 'tcp');
    c.hello({ seq: 1 });
    await c.next('welcome');
    const built = await room.build({
      slots: { theme: { kind: 'config', bytes: configBytes({ ball: 'blue' }), version: '2' } },
    });
    await expectRefused(await room.publish(built), ErrorCode.BAD_CONFIG);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.messages.map((m) => m.type)).toEqual(['welcome']);
    c.close();
  });
});

describe('reading', () => {
  it('serves blobs immutable, with their type, etag and 304', async () => {
    const slot = room.latest!.release.slots['background']!;
    const res = await fetch(server.url + ApiPath.blob(slot.sha256));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await sha256Hex(new Uint8Array(await res.arrayBuffer()))).toBe(slot.sha256);
    const again = await fetch(server.url + ApiPath.blob(slot.sha256), {
      headers: { 'if-none-match': res.headers.get('etag') ?? '' },
    });
    expect(again.status).toBe(304);
    expect((await fetch(server.url + ApiPath.blob('f'.repeat(64)))).status).toBe(404);
    expect((await fetch(server.url + ApiPath.blob('nope'))).status).toBe(400);
  });

  it('answers 404 NO_SUCH_ROOM for a room without releases', async () => {
    const res = await fetch(server.url + ApiPath.release('nobody'));
    expect(res.status).toBe(404);
    const parsed = parseErrorBody(await res.json());
    expect(parsed.ok && parsed.value.error.code).toBe(ErrorCode.NO_SUCH_ROOM);
  });

  it('serves the roster as a count: no client ids, no addresses', async () => {
    const c = await RawConn.open(server, 'ws');
    c.hello({ clientId: 'rostered', platform: 'Firefox' });
    await c.next('welcome');
    const body = parseRosterBody(await (await fetch(server.url + ApiPath.clients('test'))).json());
    expect(body.ok && body.value.count).toBe(1);
    expect(body.ok && body.value.clients).toEqual([]);
    c.close();
  });

  it('answers CORS preflights and sets CORS on answers, for any origin', async () => {
    const pre = await fetch(server.url + ApiPath.releases('test'), {
      method: 'OPTIONS',
      headers: { origin: 'https://admin.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    const get = await fetch(server.url + ApiPath.release('test'), {
      headers: { origin: 'https://x.example' },
    });
    expect(get.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('reports health and Prometheus metrics', async () => {
    expect(await (await fetch(server.url + '/healthz')).json()).toMatchObject({ ok: true, rooms: 1 });
    await room.publish(
      await room.build({
        slots: { theme: { kind: 'config', bytes: configBytes({ ball: 'nope' }), version: '2' } },
      }),
    );
    const text = await (await fetch(server.url + '/metrics')).text();
    expect(text).toContain('patchcast_releases_published_total 1');
    expect(text).toContain('patchcast_refusals_total{code="BAD_CONFIG",source="publish"} 1');
    expect(text).toContain('patchcast_connections');
    expect(text).toContain('patchcast_bytes_sent_total');
  });
});

describe('keys', () => {
  it('adds a key through a rotation record signed by a room key, and accepts its releases', async () => {
    const next = await generateSigningKey();
    const record = await keySetRecord('test', 2, [room.key, next], [room.key, next]);
    const res = await fetch(server.url + ApiPath.keys('test'), {
      method: 'POST',
      body: JSON.stringify(record),
    });
    expect(res.status).toBe(200);
    const keys = parseKeysBody(await (await fetch(server.url + ApiPath.keys('test'))).json());
    expect(keys.ok && keys.value.keys.map((k) => k.keyId).sort()).toEqual(
      [room.key.keyId, next.keyId].sort(),
    );
    expect(keys.ok && keys.value.rotations).toEqual([record]);
    const built = await buildRelease({ room: 'test', key: next, previous: room.latest!.release, slots: {} });
    expect((await postRelease(server.url, built)).status).toBe(201);
  });

  it('refuses a rotation signed by a key the room does not trust', async () => {
    const stranger = await generateSigningKey();
    const record = await keySetRecord('test', 2, [stranger], [stranger]);
    const res = await fetch(server.url + ApiPath.keys('test'), {
      method: 'POST',
      body: JSON.stringify(record),
    });
    expect(res.status).toBe(403);
  });

  it('creates a room from a record signed by its own new key', async () => {
    const key = await generateSigningKey();
    const record = await keySetRecord('born', 1, [key], [key]);
    const res = await fetch(server.url + ApiPath.keys('born'), {
      method: 'POST',
      headers: OPERATOR_HEADERS,
      body: JSON.stringify(record),
    });
    expect(res.status).toBe(201);
    const built = await buildRelease({
      room: 'born',
      key,
      previous: null,
      slots: { logic: { kind: 'script', bytes: utf8('export {}'), version: '1' } },
    });
    expect((await postRelease(server.url, built)).status).toBe(201);
    // A second genesis for an existing room is a replay of version 1; version 2 by a stranger is refused too.
    const replay = await fetch(server.url + ApiPath.keys('born'), {
      method: 'POST',
      body: JSON.stringify(await keySetRecord('born', 1, [key], [key])),
    });
    expect(replay.status).toBe(409);
    const other = await generateSigningKey();
    const again = await fetch(server.url + ApiPath.keys('born'), {
      method: 'POST',
      body: JSON.stringify(await keySetRecord('born', 2, [other], [other])),
    });
    expect(again.status).toBe(403);
  });

  it('a relay cannot forge: a rotation for another room is refused', async () => {
    const next = await generateSigningKey();
    const record = await keySetRecord('elsewhere', 2, [room.key, next], [room.key, next]);
    const res = await fetch(server.url + ApiPath.keys('test'), {
      method: 'POST',
      body: JSON.stringify(record),
    });
    expect(res.status).toBe(400);
  });
});

describe('restart', () => {
  it('reloads rooms, history, keys and blobs from the data dir', async () => {
    await room.publishScript('export function update(b){return b} // v2', '2.0.0');
    const dataDir = server.dataDir;
    await server.close();
    const again = await startTestServer({ dataDir });
    try {
      const history = parseHistoryBody(await (await fetch(again.url + ApiPath.releases('test'))).json());
      expect(history.ok && history.value.releases.map((r) => r.release.seq)).toEqual([2, 1]);
      const slot = room.latest!.release.slots['background']!;
      const blob = await fetch(again.url + ApiPath.blob(slot.sha256));
      expect(blob.headers.get('content-type')).toBe('image/png');
      expect(await sha256Hex(new Uint8Array(await blob.arrayBuffer()))).toBe(slot.sha256);
      const built = await room.build({ slots: {} });
      room = new TestRoom(again.url, 'test', room.key);
      room.latest = built.signed;
      expect((await postRelease(again.url, built)).status).toBe(201);
    } finally {
      await again.close();
    }
  });

  it('signs nothing itself: a release file edited on disk is not served after restart', async () => {
    const { readFile, writeFile, readdir } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const built = await room.publishScript('export function update(b){return b} // v2', '2.0.0');
    const dir = join(server.dataDir, 'rooms', 'test', 'releases');
    const file = join(dir, (await readdir(dir)).sort().at(-1)!);
    const json: unknown = JSON.parse(await readFile(file, 'utf8'));
    expect(json).toEqual(built.signed);
    const forged = await signRelease(
      { ...built.signed.release, version: 'forged' },
      await generateSigningKey().then(async (k) => ({ ...k, keyId: built.signed.release.keyId })),
    );
    await writeFile(file, JSON.stringify(forged));
    const dataDir = server.dataDir;
    await server.close();
    const again = await startTestServer({ dataDir });
    try {
      const history = parseHistoryBody(await (await fetch(again.url + ApiPath.releases('test'))).json());
      expect(history.ok && history.value.releases.map((r) => r.release.seq)).toEqual([1]);
    } finally {
      await again.close();
    }
  });
});
