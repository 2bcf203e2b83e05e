/**
 * The relay's PNG check (`png-check.ts`) takes every kind of PNG an encoder writes and refuses each
 * kind of junk for its own reason — and does it without a decoder: the counts show no full decode
 * and no inflated piece bigger than zlib's output chunk, whatever the image's size.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/index.ts';
import { chunk, encoded, ihdr, junk, pixels, png, rows } from '../testing/png-samples.ts';
import { checkTextureDecodes, textureCheckCounts } from './content.ts';
import { DecodeQueue } from './decode-queue.ts';
import { PNG_INFLATE_PIECE_BYTES, checkPng, pngCheckCounts } from './png-check.ts';

describe('the PNG check takes what encoders write', () => {
  it.each(encoded)('%s', async (_, make) => {
    const bytes = new Uint8Array(await make());
    await sharp(bytes, { failOn: 'error' }).stats(); // a decoder takes it
    const checked = await checkPng(bytes);
    expect(checked.ok ? 'ok' : checked.message).toBe('ok');
  });

  it('takes image data split over many IDAT chunks, and unknown ancillary chunks', async () => {
    const data = deflateSync(rows(40, 30));
    const idat = [0, 1000, 2000].map((at, i, all) =>
      chunk('IDAT', data.subarray(at, all[i + 1] ?? data.length)),
    );
    const bytes = png({
      idat,
      before: [chunk('teXt', Buffer.from('hi'))],
      after: [chunk('zzZz'), chunk('IEND')],
    });
    await sharp(bytes, { failOn: 'error' }).stats();
    expect((await checkPng(bytes)).ok).toBe(true);
  });
});

describe('the PNG check refuses junk, each kind for its reason', () => {
  it.each(junk)('%s', async (_, make, why) => {
    const checked = await checkPng(await make());
    expect(checked.ok).toBe(false);
    if (!checked.ok) {
      expect(checked.code).toBe(ErrorCode.BAD_IMAGE);
      expect(checked.message).toMatch(why);
    }
  });
});

describe('the PNG check is not a decode', () => {
  it('a ~4 MB PNG: no full decode, every inflated byte counted in pieces of at most 1 MiB', async () => {
    const [width, height] = [1280, 1200];
    const bytes = new Uint8Array(await pixels(width, height, 3).png().toBuffer());
    expect(bytes.length).toBeGreaterThan(4_000_000);
    const counts = textureCheckCounts();
    const bounds = { maxPixels: 40_000_000, decode: new DecodeQueue(5_000), counts };
    expect(await checkTextureDecodes(bytes, 'image/png', bounds)).toEqual({ ok: true, value: null });
    expect(counts).toEqual({
      checks: 1,
      fullDecodes: 0,
      inflatedBytes: height * (1 + width * 3),
      largestPiece: expect.any(Number),
    });
    expect(counts.largestPiece).toBeLessThanOrEqual(PNG_INFLATE_PIECE_BYTES);
    // A JPEG is still decoded in full (counted, so the PNG's zero above means something).
    const jpeg = new Uint8Array(await pixels(64, 64, 3).jpeg().toBuffer());
    expect((await checkTextureDecodes(jpeg, 'image/jpeg', bounds)).ok).toBe(true);
    expect(counts.fullDecodes).toBe(1);
  });

  it('a check past its deadline stops its inflate: the next one runs alone', async () => {
    // Flat pixels inflate ~1000× from little data: much work for zlib from a small file.
    const [width, height] = [4096, 4096];
    const flat = deflateSync(Buffer.alloc(height * (1 + width * 3)));
    const bytes = png({ header: ihdr(width, height), idat: [chunk('IDAT', flat)] }, width, height);
    const counts = pngCheckCounts();
    const abort = new AbortController();
    const checking = checkPng(bytes, counts, abort.signal);
    abort.abort();
    const checked = await checking;
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.message).toMatch(/stopped at the deadline/);
    const atStop = counts.inflatedBytes;
    await new Promise((r) => setTimeout(r, 200));
    expect(counts.inflatedBytes).toBe(atStop); // nothing inflated after the stop
    expect(atStop).toBeLessThan(height * (1 + width * 3));
    // Through the queue: its deadline aborts the check it gave up on.
    const queue = new DecodeQueue(1);
    const late = pngCheckCounts();
    await expect(queue.run((_, signal) => checkPng(bytes, late, signal))).rejects.toThrow(/longer than 1 ms/);
    const afterDeadline = late.inflatedBytes;
    await new Promise((r) => setTimeout(r, 200));
    expect(late.inflatedBytes).toBe(afterDeadline);
  });

  it('a lying header stops the inflate at the first piece past the size it implies', async () => {
    // 8000 rows declared as 80: the inflate stops after one piece, not after 8000 rows.
    const data = deflateSync(rows(400, 8000));
    const counts = pngCheckCounts();
    const checked = await checkPng(
      png({ header: ihdr(400, 80), idat: [chunk('IDAT', data)] }, 400, 80),
      counts,
    );
    expect(checked.ok).toBe(false);
    expect(counts.inflatedBytes).toBeLessThanOrEqual(80 * 1201 + PNG_INFLATE_PIECE_BYTES);
  });
});
