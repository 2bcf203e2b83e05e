/**
 * `PUT /api/blobs/:sha256` on the REAL relay, as the publisher uploads a big texture: the body hashed
 * as it streams in (whole and per chunk, across pieces that don't line up with chunks), the write
 * beside the checks — and a refused or cut-off upload leaves nothing stored, not even a temp file.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiPath, ErrorCode } from '../../protocol/index.ts';
import type { BlobDigests } from '../relay/blob-checks.ts';
import {
  bigPngBytes,
  blobFiles,
  postRelease,
  startTestServer,
  TestRoom,
  type TestServer,
} from '../testing/helpers.ts';

let server: TestServer | undefined;

afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

/** A random-pixel JPEG of about `side`² pixels. */
async function randomJpeg(side: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(side * side * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return new Uint8Array(
    await sharp(raw, { raw: { width: side, height: side, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer(),
  );
}

describe('a raw upload', () => {
  it('is hashed as it streams in: whole and per chunk, chunks cut across the pieces it arrives in', async () => {
    server = await startTestServer();
    const room = await TestRoom.create(server.url, 'stream');
    const before = await blobFiles(server.dataDir);
    const png = await bigPngBytes(1_000_000);
    // 10,007-byte chunks: no piece of the body (64 KiB or so) ends on a chunk's edge.
    const built = await room.build({
      chunkSize: 10_007,
      slots: { background: { kind: 'texture', mime: 'image/png', bytes: png, version: '2' } },
    });
    const seen: (BlobDigests | undefined)[] = [];
    const upload = server.relay.upload.bind(server.relay);
    server.relay.upload = (incoming) => {
      seen.push(incoming.arrived().digests);
      return upload(incoming);
    };
    const res = await room.publish(built);
    expect(res.status).toBe(201);
    const slot = built.signed.release.slots['background']!;
    expect(seen).toEqual([{ sha256: slot.sha256, size: png.length, chunkSize: 10_007, chunks: slot.chunks }]);
    expect(slot.chunks.length).toBe(Math.ceil(png.length / 10_007));
    expect(await blobFiles(server.dataDir)).toEqual(
      [...before, `${slot.sha256.slice(0, 2)}/${slot.sha256}`].sort(),
    );
  });

  it('is written and its PNG checked while it streams in: little is left when the last byte lands', async () => {
    server = await startTestServer();
    const room = await TestRoom.create(server.url, 'arriving');
    const png = await bigPngBytes(3_000_000);
    const built = await room.build({
      slots: { background: { kind: 'texture', mime: 'image/png', bytes: png, version: '2' } },
    });
    expect((await room.publish(built, { omitBlobs: true })).status).toBe(409);
    const { checks, inflatedBytes } = { ...server.relay.textureChecks };
    const sha = built.signed.release.slots['background']!.sha256;
    const dir = join(server.dataDir, 'blobs', sha.slice(0, 2));
    const req = request(server.url + ApiPath.blob(sha), {
      method: 'PUT',
      headers: { 'content-length': String(png.length) },
      agent: false,
    });
    const answered = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    const almost = png.length - 1000;
    req.write(png.subarray(0, almost));
    // With the last kilobyte still to come: the image data is being inflated...
    await expect
      .poll(() => server!.relay.textureChecks.inflatedBytes - inflatedBytes, { timeout: 10_000 })
      .toBeGreaterThan(1_000_000);
    // ...and the bytes are in a temp file beside the blob's place, not in it.
    const tempSizes = async () => {
      const names = await readdir(dir).catch(() => []);
      const temps = names.filter((n) => n.startsWith('.tmp-'));
      expect(names.filter((n) => !n.startsWith('.tmp-'))).toEqual([]);
      return Promise.all(temps.map(async (n) => (await stat(join(dir, n))).size));
    };
    await expect.poll(tempSizes, { timeout: 10_000 }).toEqual([almost]);
    expect(server.relay.hasBlob(sha)).toBe(false);
    req.end(png.subarray(almost));
    expect(await answered).toBe(201);
    expect(await readdir(dir)).toEqual([sha]);
    // (Compared as a hash: vitest's deep equality takes seconds over 3 MB.)
    expect(
      createHash('sha256')
        .update(await readFile(join(dir, sha)))
        .digest('hex'),
    ).toBe(sha);
    // One check, the one run while the bytes came (none after the last byte), and no decode.
    expect(server.relay.textureChecks).toMatchObject({ checks: checks + 1, fullDecodes: 0 });
  });

  it('cut off half way leaves nothing stored, and the whole upload that follows is taken', async () => {
    server = await startTestServer();
    const room = await TestRoom.create(server.url, 'cut');
    const before = await blobFiles(server.dataDir);
    const png = await bigPngBytes(600_000);
    const built = await room.build({
      slots: { background: { kind: 'texture', mime: 'image/png', bytes: png, version: '2' } },
    });
    expect((await room.publish(built, { omitBlobs: true })).status).toBe(409);
    const sha = built.signed.release.slots['background']!.sha256;
    await new Promise<void>((resolve) => {
      const req = request(server!.url + ApiPath.blob(sha), {
        method: 'PUT',
        headers: { 'content-length': String(png.length) },
      });
      req.on('error', () => resolve());
      req.write(png.subarray(0, png.length / 2), () => setTimeout(() => req.destroy(), 50));
      req.on('close', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(server.relay.hasBlob(sha)).toBe(false);
    expect(await blobFiles(server.dataDir)).toEqual(before);
    expect((await room.publish(built)).status).toBe(201);
    expect(server.relay.hasBlob(sha)).toBe(true);
  });

  it('of a junk PNG (one byte of its image data flipped) is refused BAD_IMAGE and leaves nothing', async () => {
    server = await startTestServer();
    const room = await TestRoom.create(server.url, 'junk');
    const before = await blobFiles(server.dataDir);
    const junk = new Uint8Array(await bigPngBytes(300_000));
    junk[junk.length >> 1] = junk[junk.length >> 1]! ^ 0xff;
    const built = await room.build({
      slots: { background: { kind: 'texture', mime: 'image/png', bytes: junk, version: '2' } },
    });
    const res = await postRelease(server.url, built);
    expect([res.status, (res.body as { error: { code: string } }).error.code]).toEqual([
      422,
      ErrorCode.BAD_IMAGE,
    ]);
    expect(server.relay.hasBlob(built.signed.release.slots['background']!.sha256)).toBe(false);
    expect(await blobFiles(server.dataDir)).toEqual(before);
  });

  it('of a cut-off JPEG is refused BAD_IMAGE (the scaled decode still reads all the data); a whole one is taken', async () => {
    server = await startTestServer();
    const room = await TestRoom.create(server.url, 'jpeg');
    const before = await blobFiles(server.dataDir);
    const jpeg = await randomJpeg(700);
    expect(jpeg.length).toBeGreaterThan(200_000);
    // Cut in its last tenth: the header and most of the image data are there, the end is not.
    const cut = await room.build({
      slots: {
        background: {
          kind: 'texture',
          mime: 'image/jpeg',
          bytes: jpeg.subarray(0, Math.floor(jpeg.length * 0.9)),
          version: '2',
        },
      },
    });
    const refused = await postRelease(server.url, cut);
    expect([refused.status, (refused.body as { error: { code: string } }).error.code]).toEqual([
      422,
      ErrorCode.BAD_IMAGE,
    ]);
    expect(await blobFiles(server.dataDir)).toEqual(before);
    const whole = await room.build({
      slots: { background: { kind: 'texture', mime: 'image/jpeg', bytes: jpeg, version: '3' } },
    });
    expect((await room.publish(whole)).status).toBe(201);
    expect(server.relay.textureChecks.fullDecodes).toBe(2);
  });
});
