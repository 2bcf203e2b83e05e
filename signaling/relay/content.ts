/**
 * What the relay checks inside a blob before it stores a release naming it: a texture must really
 * decode (every pixel, within the size limits), a config must pass the protocol's config check, a
 * script must be UTF-8 text within its size (`script.ts`, shared with the headless client). The
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
import { checkScript } from './script.ts';

const FORMAT_OF_MIME: Record<TextureMime, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/webp': 'webp',
};

/**
 * The relay's texture check: the texture decodes fully as the claimed type, within
 * {@link MAX_TEXTURE_EDGE} (the admin site checks in the browser before publishing, with its own).
 */
export async function checkTextureDecodes(bytes: Uint8Array, mime: TextureMime): Promise<Result<null>> {
  if (bytes.length > MAX_TEXTURE_BYTES)
    return fail(ErrorCode.TOO_LARGE, `texture is over ${MAX_TEXTURE_BYTES} bytes`);
  const options = { limitInputPixels: MAX_TEXTURE_EDGE * MAX_TEXTURE_EDGE, failOn: 'error' } as const;
  try {
    const meta = await sharp(bytes, options).metadata();
    if (meta.format !== FORMAT_OF_MIME[mime]) {
      return fail(ErrorCode.BAD_IMAGE, `texture is ${meta.format ?? 'not an image'}, not ${mime}`);
    }
    const width = meta.width ?? 0;
    const height = meta.height ?? 0;
    if (width < 1 || height < 1 || width > MAX_TEXTURE_EDGE || height > MAX_TEXTURE_EDGE) {
      return fail(
        ErrorCode.BAD_IMAGE,
        `texture is ${width}×${height}; each side must be 1–${MAX_TEXTURE_EDGE}`,
      );
    }
    // stats() reads every pixel, so a truncated or corrupt image body fails here, while its output
    // stays a few numbers (no full-size buffer is kept).
    await sharp(bytes, options).stats();
    return ok(null);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return fail(ErrorCode.BAD_IMAGE, `texture does not decode as ${mime}: ${detail}`);
  }
}

/** Checks one slot's blob according to its kind. */
export async function checkContent(name: string, slot: Slot, bytes: Uint8Array): Promise<Result<null>> {
  switch (slot.kind) {
    case 'texture':
      return checkTextureDecodes(bytes, slot.mime);
    case 'config': {
      const parsed = parseConfigBlob(name, bytes);
      return parsed.ok ? ok(null) : parsed;
    }
    case 'script':
      return checkScript(bytes);
  }
}
