/**
 * The PNG check of an upload still arriving (`arriving-png.ts`) gives the answer of the whole bytes'
 * check (`checkTextureDecodes`) for every PNG an encoder writes and every kind of junk, whatever the
 * pieces the bytes come in — and it does its work while they come: the image data is inflated before
 * the last byte lands, a slow upload holds no decode slot between its groups, and a refused upload's
 * inflate stops.
 */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chunk, encoded, ihdr, junk, pixels, png, rows } from '../testing/png-samples.ts';
import { ArrivingPngCheck } from './arriving-png.ts';
import { checkTextureDecodes, textureCheckCounts, type DecodeBounds } from './content.ts';
import { DecodeQueue } from './decode-queue.ts';

const boundsOf = (timeoutMs = 5_000): DecodeBounds => ({
  maxPixels: 40_000_000,
  decode: new DecodeQueue(timeoutMs),
  counts: textureCheckCounts(),
});

/** Checks `bytes` as an upload would: copied in pieces of `piece` bytes, the check told after each. */
async function arriving(bytes: Uint8Array, piece: number, bounds = boundsOf()) {
  const into = new Uint8Array(bytes.length);
  const check = new ArrivingPngCheck(into, bounds);
  for (let at = 0; at < bytes.length; at += piece) {
    const end = Math.min(at + piece, bytes.length);
    into.set(bytes.subarray(at, end), at);
    check.advance(end);
  }
  return check.finish();
}

/** Piece sizes: a byte at a time, odd small pieces, a socket read's, and all at once. */
const PIECES = [1, 7, 65_536, Infinity];

/** Junk that is no texture a relay may take before its image data is looked at. */
const refusedEarly: [string, () => Uint8Array][] = [
  ['too small for a header', () => png({}).subarray(0, 20)],
  ['a header declaring 0×30', () => png({ header: ihdr(0, 30) })],
  ['a header declaring 9000×10', () => png({ header: ihdr(9000, 10) })],
  ['a header past the pixel cap', () => png({ header: ihdr(8000, 8000) })],
];

describe('an arriving PNG gets the answer of the whole bytes', () => {
  const samples: [string, () => Uint8Array | Promise<Uint8Array>][] = [
    ...encoded.map(([name, make]): [string, () => Promise<Uint8Array>] => [
      `encoded: ${name}`,
      async () => new Uint8Array(await make()),
    ]),
    ...junk.map(([name, make]): [string, () => Uint8Array | Promise<Uint8Array>] => [`junk: ${name}`, make]),
    ...refusedEarly.map(([name, make]): [string, () => Uint8Array] => [`early: ${name}`, make]),
  ];

  it.each(samples)('%s', async (_, make) => {
    const bytes = await make();
    const whole = await checkTextureDecodes(bytes, 'image/png', boundsOf());
    // Pieces of one byte over the 200 KB of the chunk-limit sample would take seconds: skip those.
    const pieces = PIECES.filter((p) => p > 1 || bytes.length < 50_000);
    for (const piece of pieces) expect([piece, await arriving(bytes, piece)]).toEqual([piece, whole]);
  });

  it('image data past the zlib stream, a megabyte later, is found as in the whole bytes', async () => {
    const data = deflateSync(rows(40, 30));
    const filler = Buffer.alloc(1_500_000, 1);
    const bytes = png({
      idat: [
        chunk('IDAT', data),
        ...[0, 1, 2].map((i) => chunk('IDAT', filler.subarray(i * 500_000, (i + 1) * 500_000))),
      ],
    });
    const whole = await checkTextureDecodes(bytes, 'image/png', boundsOf());
    expect(whole).toMatchObject({ ok: false, message: /1500000 bytes of image data after its zlib stream/ });
    for (const piece of [8192, 65_536]) expect(await arriving(bytes, piece)).toEqual(whole);
  });
});

describe('an arriving PNG is checked while it arrives', () => {
  it('a ~4 MB PNG: inflated before its last byte lands, each group a task of the decode queue', async () => {
    const [width, height] = [1280, 1200];
    const bytes = new Uint8Array(await pixels(width, height, 3).png().toBuffer());
    const bounds = boundsOf();
    const into = new Uint8Array(bytes.length);
    const check = new ArrivingPngCheck(into, bounds);
    const almost = bytes.length - 1000;
    into.set(bytes.subarray(0, almost));
    check.advance(almost);
    // Three of the four megabytes are inflated with the last kilobyte still to come...
    await expect.poll(() => bounds.counts!.inflatedBytes, { timeout: 10_000 }).toBeGreaterThan(2_500_000);
    // ...and between groups the upload holds no slot of the queue.
    await expect.poll(() => bounds.decode.depth, { timeout: 10_000 }).toBe(0);
    into.set(bytes.subarray(almost), almost);
    check.advance(bytes.length);
    expect(await check.finish()).toEqual({ ok: true, value: null });
    expect(bounds.counts).toMatchObject({
      checks: 1,
      fullDecodes: 0,
      inflatedBytes: height * (1 + width * 3),
    });
  });

  it('a group past the queue’s deadline fails the check as the whole bytes’ check would', async () => {
    // Flat pixels inflate ~1000× from little data: much work for zlib from a small file.
    const [width, height] = [4096, 4096];
    const flat = deflateSync(Buffer.alloc(height * (1 + width * 3)));
    const bytes = png({ header: ihdr(width, height), idat: [chunk('IDAT', flat)] }, width, height);
    const whole = await checkTextureDecodes(bytes, 'image/png', boundsOf(1));
    expect(whole).toMatchObject({ ok: false, message: /does not decode as image\/png: .*longer than 1 ms/ });
    const bounds = boundsOf(1);
    expect(await arriving(bytes, 65_536, bounds)).toEqual(whole);
    const atStop = bounds.counts!.inflatedBytes;
    await new Promise((r) => setTimeout(r, 200));
    expect(bounds.counts!.inflatedBytes).toBe(atStop); // nothing inflated after the deadline
  });

  it('abort (a refused upload) stops the inflate', async () => {
    // Flat RGBA at 8192×4800: 157 MB to inflate from ~150 KB; a megabyte of filler after it makes
    // the first group (written as soon as it is whole, long before IEND).
    const [width, height] = [8192, 4800];
    const flat = deflateSync(Buffer.alloc(height * (1 + width * 4)));
    const header = ihdr(width, height, 8, 6);
    const bytes = png(
      { header, idat: [chunk('IDAT', flat), chunk('IDAT', Buffer.alloc(1 << 20))] },
      width,
      height,
    );
    const bounds = boundsOf();
    const into = new Uint8Array(bytes);
    const check = new ArrivingPngCheck(into, bounds);
    check.advance(bytes.length - 12); // all but IEND
    await expect
      .poll(() => bounds.counts!.inflatedBytes, { interval: 2, timeout: 10_000 })
      .toBeGreaterThan(0);
    check.abort();
    await new Promise((r) => setTimeout(r, 50));
    const atStop = bounds.counts!.inflatedBytes;
    await new Promise((r) => setTimeout(r, 200));
    expect(bounds.counts!.inflatedBytes).toBe(atStop);
    expect(atStop).toBeLessThan(height * (1 + width * 4));
    await expect.poll(() => bounds.decode.depth, { timeout: 10_000 }).toBe(0);
  });
});
