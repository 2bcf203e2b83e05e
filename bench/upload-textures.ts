/**
 * Textures for `bench/upload.ts`: random pixels (they don't compress, and no two are the same blob)
 * encoded as PNG, JPEG or WebP at about a given number of bytes.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';

/** The formats a texture slot may hold. */
export const FORMATS = ['png', 'jpeg', 'webp'] as const;
/** One of {@link FORMATS}. */
export type Format = (typeof FORMATS)[number];

/** The sizes of the benchmark, by name. */
export const SIZES: Readonly<Record<string, number>> = { '64k': 64 * 1024, '1m': 1_000_000, '4m': 4_000_000 };

/** Bytes per pixel each format lands at for random pixels, learnt per format as textures are made. */
const bytesPerPixel: Record<Format, number> = { png: 3, jpeg: 1.5, webp: 1.5 };

async function encode(format: Format, side: number): Promise<Uint8Array> {
  const image = sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } });
  const out =
    format === 'png'
      ? image.png({ compressionLevel: 0 })
      : format === 'jpeg'
        ? image.jpeg({ quality: 95 })
        : image.webp({ quality: 95 });
  return new Uint8Array(await out.toBuffer());
}

/** A new random-pixel texture of about `bytes` (within a few per cent). */
export async function texture(format: Format, bytes: number, _round: number): Promise<Uint8Array> {
  for (let attempt = 0; ; attempt++) {
    const side = Math.max(8, Math.round(Math.sqrt(bytes / bytesPerPixel[format])));
    const image = await encode(format, side);
    const ratio = image.length / (side * side);
    if (Math.abs(image.length - bytes) / bytes < 0.05 || attempt >= 3) return image;
    bytesPerPixel[format] = ratio;
  }
}
