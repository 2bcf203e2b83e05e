/**
 * PNGs for the relay's PNG checks' tests: built by hand from their chunks, as encoders write them, and
 * every kind of junk a PNG check must refuse with the reason it must give.
 */
import { deflateSync, crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { PNG_MAX_CHUNKS } from '../relay/png-check.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function chunk(type: string, data: Uint8Array = new Uint8Array()): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))));
  return Buffer.concat([head, data, crc]);
}

export function ihdr(width: number, height: number, depth = 8, colour = 2, interlace = 0): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d.set([depth, colour, 0, 0, interlace], 8);
  return chunk('IHDR', d);
}

/** Raw scanlines of an 8-bit RGB image: each row a filter byte (0) and noise. */
export function rows(width: number, height: number, filter = (_row: number) => 0): Buffer {
  const raw = randomBytes(height * (1 + width * 3));
  for (let r = 0; r < height; r++) raw[r * (1 + width * 3)] = filter(r);
  return raw;
}

/** A hand-built 8-bit RGB PNG of `width`×`height` from its parts. */
export function png(
  parts: { header?: Buffer; before?: Buffer[]; idat?: Buffer[]; after?: Buffer[] },
  w = 40,
  h = 30,
) {
  const idat = parts.idat ?? [chunk('IDAT', deflateSync(rows(w, h)))];
  return new Uint8Array(
    Buffer.concat([
      SIGNATURE,
      parts.header ?? ihdr(w, h),
      ...(parts.before ?? []),
      ...idat,
      ...(parts.after ?? [chunk('IEND')]),
    ]),
  );
}

export const pixels = (w: number, h: number, channels: 3 | 4) =>
  sharp(randomBytes(w * h * channels), { raw: { width: w, height: h, channels } });

/** PNGs as encoders write them: every colour type, bit depths, interlaced, odd sizes. */
export const encoded: [string, () => Promise<Buffer>][] = [
  ['RGB 8-bit', () => pixels(37, 23, 3).png().toBuffer()],
  ['RGBA 8-bit', () => pixels(37, 23, 4).png().toBuffer()],
  ['grey', () => pixels(33, 17, 3).greyscale().png().toBuffer()],
  ['grey + alpha', () => pixels(33, 17, 4).greyscale().png().toBuffer()],
  ['indexed, 256 colours', () => pixels(41, 29, 3).png({ palette: true }).toBuffer()],
  ['indexed, 2 colours (1 bit)', () => pixels(13, 11, 3).png({ palette: true, colours: 2 }).toBuffer()],
  ['RGB 16-bit', () => pixels(19, 7, 3).toColourspace('rgb16').png().toBuffer()],
  ['interlaced (Adam7)', () => pixels(37, 23, 3).png({ progressive: true }).toBuffer()],
  ['interlaced, 1×1', () => pixels(1, 1, 3).png({ progressive: true }).toBuffer()],
  [
    'interlaced indexed',
    () => pixels(9, 5, 3).png({ progressive: true, palette: true, colours: 4 }).toBuffer(),
  ],
  ['stored (no compression)', () => pixels(64, 64, 3).png({ compressionLevel: 0 }).toBuffer()],
];

export const junk: [string, () => Uint8Array | Promise<Uint8Array>, RegExp][] = [
  ['HTML', () => Buffer.from('<html>not a png</html>'), /no PNG signature/],
  ['cut mid-chunk', () => png({}).subarray(0, -30), /runs past the end/],
  ['cut before IEND', () => png({ after: [] }), /no IEND/],
  ['a byte flipped (CRC kept)', () => flip(png({}), 200), /fails its CRC/],
  [
    'a zlib stream that does not check out (CRC recomputed)',
    () => {
      const data = deflateSync(rows(40, 30));
      data[data.length - 1]! ^= 1; // its Adler-32
      return png({ idat: [chunk('IDAT', data)] });
    },
    /does not inflate: incorrect data check/,
  ],
  [
    'one scanline short',
    () => png({ idat: [chunk('IDAT', deflateSync(rows(40, 29)))] }),
    /inflates to 3509 bytes, not 3630/,
  ],
  [
    'one scanline too many',
    () => png({ idat: [chunk('IDAT', deflateSync(rows(40, 31)))] }),
    /inflates past the 3630 bytes/,
  ],
  [
    'a scanline with filter type 5',
    () => png({ idat: [chunk('IDAT', deflateSync(rows(40, 30, (r) => (r === 17 ? 5 : r % 5))))] }),
    /filter type 5/,
  ],
  [
    'bytes after the zlib stream',
    () => png({ idat: [chunk('IDAT', Buffer.concat([deflateSync(rows(40, 30)), Buffer.from('junk')]))] }),
    /4 bytes of image data after its zlib stream/,
  ],
  [
    'a zlib stream cut short',
    () => png({ idat: [chunk('IDAT', deflateSync(rows(40, 30)).subarray(0, -6))] }),
    /does not inflate/,
  ],
  ['bytes after IEND', () => Buffer.concat([png({}), Buffer.from('tail')]), /4 bytes after IEND/],
  [
    'an unknown critical chunk',
    () => png({ before: [chunk('ABCD', Buffer.from('x'))] }),
    /unknown critical chunk ABCD/,
  ],
  [
    'a header that lies about the width',
    // Zero pixels: every byte read as a filter type is 0, so only the count can tell.
    () => png({ header: ihdr(41, 30), idat: [chunk('IDAT', deflateSync(Buffer.alloc(3630)))] }),
    /inflates to 3630 bytes, not 3720/,
  ],
  ['RGB at 4 bits', () => png({ header: ihdr(40, 30, 4, 2) }), /bit depth 4 with colour type 2/],
  ['an unknown colour type', () => png({ header: ihdr(40, 30, 8, 5) }), /colour type 5/],
  ['interlace method 2', () => png({ header: ihdr(40, 30, 8, 2, 2) }), /interlace \(2\)/],
  ['indexed without a palette', () => png({ header: ihdr(40, 30, 8, 3) }), /indexed image without PLTE/],
  [
    'a palette in a grey image',
    () => png({ header: ihdr(40, 30, 8, 0), before: [chunk('PLTE', Buffer.alloc(6))] }),
    /PLTE in a greyscale/,
  ],
  ['a palette of 4 bytes', () => png({ before: [chunk('PLTE', Buffer.alloc(4))] }), /PLTE of 4 bytes/],
  ['no IHDR first', () => png({ header: chunk('teXt', Buffer.from('a')) }), /first chunk is teXt/],
  ['a second IHDR', () => png({ before: [ihdr(40, 30)] }), /second IHDR/],
  ['no image data', () => png({ idat: [] }), /no image data/],
  [
    'IDAT chunks apart',
    () => {
      const data = deflateSync(rows(40, 30));
      return png({
        idat: [
          chunk('IDAT', data.subarray(0, 100)),
          chunk('teXt', Buffer.from('a')),
          chunk('IDAT', data.subarray(100)),
        ],
      });
    },
    /not consecutive/,
  ],
  ['IEND with data', () => png({ after: [chunk('IEND', Buffer.from('x'))] }), /IEND with data/],
  [
    'PLTE after tRNS (tRNS must follow the palette)',
    () => png({ before: [chunk('tRNS', Buffer.alloc(6)), chunk('PLTE', Buffer.alloc(6))] }),
    /PLTE after a chunk that must follow it/,
  ],
  [
    // Walking a chunk is synchronous: a million empty ones held the event loop for about a second.
    'more chunks than the limit (empty IDATs)',
    () => {
      const data = chunk('IDAT', deflateSync(rows(40, 30)));
      return png({ idat: [data, ...Array.from({ length: PNG_MAX_CHUNKS }, () => chunk('IDAT'))] });
    },
    new RegExp(`more than ${PNG_MAX_CHUNKS} chunks`),
  ],
];

export function flip(bytes: Uint8Array, at: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[at]! ^= 0x40;
  return copy;
}
