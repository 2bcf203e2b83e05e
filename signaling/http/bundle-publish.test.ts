/**
 * `POST /api/rooms/:room/releases` with a bundle body (the release and its big blobs' raw bytes) on
 * the REAL relay: published in one request, the raw blob hashed whole and per chunk as it streams
 * in; and every bad bundle refused with its code, leaving nothing stored — no release, no blob, no
 * temp file — on a connection that goes on serving (the rest of a refused body is dropped).
 */
import { request, Agent } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiPath, BUNDLE_CONTENT_TYPE, encodeBundle, ErrorCode } from '../../protocol/index.ts';
import type { BuiltRelease } from '../../publisher/build.ts';
import {
  bigPngBytes,
  blobFiles,
  releaseBundle,
  startTestServer,
  TestRoom,
  type TestServer,
  TEST_OPERATOR_TOKEN,
} from '../testing/helpers.ts';

let server: TestServer | undefined;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

/**
 * Posts `body` as a bundle to `room` over one kept-alive connection; `chunked` sends it without a
 * `Content-Length`. Answers the status, the body and the local port (the same port: one connection).
 */
function post(
  room: string,
  body: Uint8Array,
  options: { chunked?: boolean; length?: number } = {},
): Promise<{ status: number; body: { error?: { code: string; missing?: string[] } }; port: number }> {
  const url = new URL(server!.url + ApiPath.releases(room));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': BUNDLE_CONTENT_TYPE,
          authorization: `Bearer ${TEST_OPERATOR_TOKEN}`,
          ...(options.chunked ? {} : { 'content-length': String(options.length ?? body.length) }),
        },
      },
      (res) => {
        const pieces: Buffer[] = [];
        res.on('data', (p: Buffer) => pieces.push(p));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(pieces).toString('utf8')) as never,
            port: res.socket?.localPort ?? req.socket?.localPort ?? 0,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A room with its first release, and a next release of a ~300 KB texture cut in 10,007-byte chunks. */
async function roomWithTexture(name: string) {
  const room = await TestRoom.create(server!.url, name);
  const png = await bigPngBytes(300_000);
  const built = await room.build({
    chunkSize: 10_007,
    slots: { background: { kind: 'texture', mime: 'image/png', bytes: png, version: '2' } },
  });
  const sha = built.signed.release.slots['background']!.sha256;
  return { room, png, built, sha };
}

describe('a bundle publish', () => {
  it('publishes the release and stores its raw blob in one request, hashed as it streamed in', async () => {
    server = await startTestServer();
    const { room, png, built, sha } = await roomWithTexture('bundle');
    const seen: (number | undefined)[] = [];
    const upload = server.relay.upload.bind(server.relay);
    server.relay.upload = (incoming) => {
      seen.push(incoming.arrived().digests.chunks.length);
      return upload(incoming);
    };
    const res = await post(room.room, releaseBundle(built));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ room: room.room, seq: 2, version: built.signed.release.version });
    // The chunk hashes were taken while the body streamed in (30 chunks of 10,007 bytes).
    expect(seen).toEqual([Math.ceil(png.length / 10_007)]);
    expect(new Uint8Array(await (await fetch(server.url + ApiPath.blob(sha))).arrayBuffer())).toEqual(png);
    expect(server.relay.lastSeq(room.room)).toBe(2);
  });

  it('drops the raw bytes of a blob the relay has, and publishes', async () => {
    server = await startTestServer();
    const { room, png, built } = await roomWithTexture('again');
    expect((await post(room.room, releaseBundle(built))).status).toBe(201);
    room.latest = built.signed;
    const next = await room.build({
      slots: { background: { kind: 'texture', mime: 'image/png', bytes: png, version: '3' } },
    });
    const before = await blobFiles(server.dataDir);
    const res = await post(room.room, releaseBundle(next));
    expect(res.status).toBe(201);
    expect(await blobFiles(server.dataDir)).toEqual(before);
  });

  /** Publishes a bad bundle (from the good one); checks its refusal stored nothing, and the connection lives. */
  async function refuses(
    make: (good: Uint8Array, built: BuiltRelease) => Uint8Array,
    code: string,
    options: { chunked?: boolean; length?: number } = {},
  ): Promise<void> {
    server = await startTestServer();
    const { room, built, sha } = await roomWithTexture('bad');
    const before = await blobFiles(server.dataDir);
    const res = await post(room.room, make(releaseBundle(built), built), options);
    expect(res.body.error?.code).toBe(code);
    expect(server.relay.lastSeq(room.room)).toBe(1);
    expect(server.relay.hasBlob(sha)).toBe(false);
    expect(await blobFiles(server.dataDir)).toEqual(before);
    // The refused body's rest was dropped: the same connection publishes the good bundle next.
    const good = await post(room.room, releaseBundle(built));
    expect(good.status).toBe(201);
    expect(good.port).toBe(res.port);
  }

  /** The bundle's head length. */
  const headLength = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset).getUint32(0);

  it('refuses raw bytes that do not hash to the blob (HASH_MISMATCH)', async () => {
    await refuses((good) => {
      const bad = good.slice();
      bad[bad.length - 100] = bad[bad.length - 100]! ^ 1;
      return bad;
    }, ErrorCode.HASH_MISMATCH);
  });

  it('refuses a release whose signature fails before keeping a raw byte (BAD_SIGNATURE)', async () => {
    await refuses((_, built) => {
      const sig = built.signed.sig;
      const signed = { ...built.signed, sig: (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1) };
      return releaseBundle({ ...built, signed });
    }, ErrorCode.BAD_SIGNATURE);
  });

  it('refuses a head over the publish limit before reading it (TOO_LARGE)', async () => {
    await refuses((good) => {
      const bad = good.slice();
      new DataView(bad.buffer).setUint32(0, 64 * 1024 * 1024);
      return bad;
    }, ErrorCode.TOO_LARGE);
  });

  it('refuses a head that is not JSON (BAD_JSON), or lists no raw blobs (BAD_MESSAGE)', async () => {
    await refuses((good) => {
      const bad = good.slice();
      bad[4] = 0x7b + 1; // '|' where '{' was
      return bad;
    }, ErrorCode.BAD_JSON);
    await server?.dispose();
    await refuses((good) => {
      const n = headLength(good);
      const head = JSON.parse(new TextDecoder().decode(good.subarray(4, 4 + n))) as Record<string, unknown>;
      delete head['raw'];
      const json = new TextEncoder().encode(JSON.stringify(head));
      const out = new Uint8Array(4 + json.length + good.length - 4 - n);
      new DataView(out.buffer).setUint32(0, json.length);
      out.set(json, 4);
      out.set(good.subarray(4 + n), 4 + json.length);
      return out;
    }, ErrorCode.BAD_MESSAGE);
  });

  it('refuses a Content-Length that is not the bundle’s size (BAD_MESSAGE)', async () => {
    await refuses((good) => good.subarray(0, good.length - 1), ErrorCode.BAD_MESSAGE);
  });

  it('refuses a bundle that ends early, and bytes after its last blob (BAD_MESSAGE)', async () => {
    await refuses((good) => good.subarray(0, good.length - 1), ErrorCode.BAD_MESSAGE, { chunked: true });
    await server?.dispose();
    await refuses(
      (good) => {
        const more = new Uint8Array(good.length + 3);
        more.set(good);
        return more;
      },
      ErrorCode.BAD_MESSAGE,
      { chunked: true },
    );
  });

  it('answers BLOB_MISSING, naming them, for big blobs it lacks and the bundle does not carry', async () => {
    server = await startTestServer();
    const { room, built, sha } = await roomWithTexture('missing');
    const bare = encodeBundle({ signed: built.signed }, []);
    const res = await post(room.room, bare);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: ErrorCode.BLOB_MISSING, missing: [sha] });
    expect(server.relay.lastSeq(room.room)).toBe(1);
  });
});
