/**
 * What the relay checks inside a blob before it stores a release naming it: a texture must really
 * declare a sane size in its header and then be whole (a PNG's structure and image data, checked
 * without a decoder; JPEG and WebP decoded, every pixel, within the limits, one at a time), a config
 * must pass the protocol's config check, a script must be UTF-8 text within its size (`script.ts`, shared with the headless client). The
 * signature says who published; this says the bytes are what the slot claims, so junk is refused at
 * the door and never fanned out.
 */
import sharp from 'sharp';
import {
  ErrorCode,
  MAX_TEXTURE_BYTES,
  MAX_TEXTURE_EDGE,
  fail,
  ok,
  parseConfigBlob,
  type Result,
  type Slot,
  type TextureMime,
} from '../../protocol/index.ts';
import type { DecodeQueue } from './decode-queue.ts';
import { declaredSize, type DeclaredSize } from './image-header.ts';
import { checkPng, pngCheckCounts, type PngCheckCounts } from './png-check.ts';
import { checkScript } from './script.ts';

const FORMAT_OF_MIME: Record<TextureMime, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/webp': 'webp',
};

/** How the relay bounds its texture checks. */
export interface DecodeBounds {
  /** Largest width × height the header may declare. */
  readonly maxPixels: number;
  /** Where decodes run (one at a time, with a deadline); a PNG's structural check runs here too. */
  readonly decode: DecodeQueue;
  /** Counts what the checks did (tests read them: a PNG must never be decoded in full). */
  readonly counts?: TextureCheckCounts;
}

/** What the texture checks did, counted. */
export interface TextureCheckCounts extends PngCheckCounts {
  /** Full decodes (JPEG and WebP are decoded in full; a PNG never is). */
  fullDecodes: number;
}

/** A fresh set of counters. */
export function textureCheckCounts(): TextureCheckCounts {
  return { ...pngCheckCounts(), fullDecodes: 0 };
}

/**
 * The cheap half of the texture check: at most {@link MAX_TEXTURE_BYTES}, and a header (no decode)
 * declaring a size within {@link MAX_TEXTURE_EDGE} a side and the pixel cap — a bomb is refused here
 * in microseconds. A PNG's header is in its first 24 bytes: a PNG still arriving is checked as soon
 * as those are in.
 */
export function checkDeclared(
  bytes: Uint8Array,
  mime: TextureMime,
  bounds: DecodeBounds,
): Result<DeclaredSize> {
  if (bytes.length > MAX_TEXTURE_BYTES)
    return fail(ErrorCode.TOO_LARGE, `texture is over ${MAX_TEXTURE_BYTES} bytes`);
  const declared = declaredSize(bytes, mime);
  if (!declared) return fail(ErrorCode.BAD_IMAGE, `texture has no ${mime} header the relay can read`);
  const { width, height } = declared;
  if (width < 1 || height < 1 || width > MAX_TEXTURE_EDGE || height > MAX_TEXTURE_EDGE) {
    return fail(
      ErrorCode.BAD_IMAGE,
      `texture declares ${width}×${height}; each side must be 1–${MAX_TEXTURE_EDGE}`,
    );
  }
  if (width * height > bounds.maxPixels) {
    return fail(
      ErrorCode.TOO_LARGE,
      `texture declares ${width}×${height} = ${width * height} pixels; the relay decodes at most ${bounds.maxPixels}`,
    );
  }
  return ok(declared);
}

/** A check that failed in the decode queue (a decoder's error, or the deadline), as the relay says it. */
export function decodeFailure(mime: TextureMime, cause: unknown): Result<never> {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return fail(ErrorCode.BAD_IMAGE, `texture does not decode as ${mime}: ${detail}`);
}

/**
 * The relay's texture check: {@link checkDeclared} first, then in the {@link DecodeQueue}: for a PNG
 * its whole structure and a counted inflate of its image data (`png-check.ts`: no pixel is built,
 * ~10× cheaper than a decode), for JPEG and WebP a full decode as the claimed type (the admin site
 * checks in the browser before publishing). An uploaded PNG is checked while it arrives instead
 * (`arriving-png.ts`), with the same answers.
 */
export async function checkTextureDecodes(
  bytes: Uint8Array,
  mime: TextureMime,
  bounds: DecodeBounds,
): Promise<Result<null>> {
  const declared = checkDeclared(bytes, mime, bounds);
  if (!declared.ok) return declared;
  // A PNG: its structure and a counted inflate (no pixel built); JPEG and WebP: decoded in full.
  const check =
    mime === 'image/png'
      ? async (_: number, signal: AbortSignal) => {
          const checked = await checkPng(bytes, bounds.counts, signal);
          return checked.ok ? ok(null) : checked;
        }
      : (seconds: number) => decodeInFull(bytes, mime, declared.value, bounds, seconds);
  try {
    return await bounds.decode.run(check);
  } catch (cause) {
    return decodeFailure(mime, cause);
  }
}

/**
 * A JPEG or WebP is decoded at 1/{@link DECODE_SHRINK} of its size a side where the decoder can do
 * that while still reading all of the image data (libjpeg's scaled IDCT: every Huffman-coded
 * coefficient is decoded, only the inverse transform is smaller; libwebp decodes every macroblock and
 * scales the rows): a truncated or corrupt image fails as in a full-size decode, for ~1/5 of a JPEG's
 * CPU, and only a thumbnail is ever built.
 */
export const DECODE_SHRINK = 8;

/** Decodes a JPEG or WebP with sharp — all of its image data read, scaled down — within `seconds`. */
async function decodeInFull(
  bytes: Uint8Array,
  mime: TextureMime,
  declared: { readonly width: number; readonly height: number },
  bounds: DecodeBounds,
  seconds: number,
): Promise<Result<null>> {
  if (bounds.counts) bounds.counts.fullDecodes += 1;
  const options = { limitInputPixels: bounds.maxPixels, failOn: 'error' } as const;
  const meta = await sharp(bytes, options).metadata();
  if (meta.format !== FORMAT_OF_MIME[mime]) {
    return fail(ErrorCode.BAD_IMAGE, `texture is ${meta.format ?? 'not an image'}, not ${mime}`);
  }
  if (meta.width !== declared.width || meta.height !== declared.height) {
    return fail(ErrorCode.BAD_IMAGE, `texture header and image disagree on its size`);
  }
  const { width, height } = declared;
  const decode = sharp(bytes, options).timeout({ seconds });
  // Scaled on load (sharp picks the decoder's own shrink for a reduction of 8); the output is a few
  // KiB to at most (8192 / 8)² pixels, dropped at once.
  const scaled =
    width >= DECODE_SHRINK && height >= DECODE_SHRINK
      ? decode.resize({
          width: Math.floor(width / DECODE_SHRINK),
          height: Math.floor(height / DECODE_SHRINK),
          fit: 'fill',
          kernel: 'nearest',
        })
      : decode;
  await scaled.raw().toBuffer();
  return ok(null);
}

/** Checks one slot's blob according to its kind. */
export async function checkContent(
  name: string,
  slot: Slot,
  bytes: Uint8Array,
  bounds: DecodeBounds,
): Promise<Result<null>> {
  switch (slot.kind) {
    case 'texture':
      return checkTextureDecodes(bytes, slot.mime, bounds);
    case 'config': {
      const parsed = parseConfigBlob(name, bytes);
      return parsed.ok ? ok(null) : parsed;
    }
    case 'script':
      return checkScript(bytes);
  }
}
