/**
 * Checking a texture before it can be published: its type from its first bytes (not from the file
 * name or the browser's guess), its size, and that this browser really decodes it.
 */
import { MAX_TEXTURE_BYTES, MAX_TEXTURE_EDGE } from '../../protocol/limits.ts';
import type { TextureMime } from '../../protocol/release.ts';
import { sniffImageMime } from '../../publisher/content.ts';

/** A texture that passed every check. */
export interface CheckedTexture {
  readonly bytes: Uint8Array;
  readonly mime: TextureMime;
  readonly width: number;
  readonly height: number;
}

/** Why a texture was refused, in words for the person who picked it. */
export class TextureError extends Error {
  override readonly name = 'TextureError';
}

/** Decodes image bytes to their dimensions; the default uses `createImageBitmap`. */
export type Decoder = (bytes: Uint8Array, mime: TextureMime) => Promise<{ width: number; height: number }>;

/** Decodes with `createImageBitmap` (off the main thread in Chromium) and frees the bitmap. */
export const browserDecoder: Decoder = async (bytes, mime) => {
  const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: mime }));
  const size = { width: bitmap.width, height: bitmap.height };
  bitmap.close();
  return size;
};

/** Checks a picked file: an image type we publish, within the limits, and decodable here. */
export async function checkTexture(
  bytes: Uint8Array,
  decode: Decoder = browserDecoder,
): Promise<CheckedTexture> {
  if (bytes.length === 0) throw new TextureError('The file is empty.');
  if (bytes.length > MAX_TEXTURE_BYTES) {
    throw new TextureError(
      `The file is ${formatBytes(bytes.length)}; textures may be at most ${formatBytes(MAX_TEXTURE_BYTES)}.`,
    );
  }
  const mime = sniffImageMime(bytes);
  if (!mime)
    throw new TextureError('This file is not an image: only PNG, JPEG and WebP textures can be published.');
  let size: { width: number; height: number };
  try {
    size = await decode(bytes, mime);
  } catch (cause) {
    throw new TextureError(
      `This ${mime.slice(6).toUpperCase()} file is damaged: the browser cannot decode it.`,
      {
        cause,
      },
    );
  }
  if (size.width < 1 || size.height < 1) throw new TextureError('The image has no pixels.');
  if (size.width > MAX_TEXTURE_EDGE || size.height > MAX_TEXTURE_EDGE) {
    throw new TextureError(
      `The image is ${size.width}×${size.height}; textures may be at most ${MAX_TEXTURE_EDGE} pixels on a side.`,
    );
  }
  return { bytes, mime, ...size };
}

/** A byte count for people: `812 B`, `14.2 KiB`, `3.10 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}
