/**
 * Textures off the main thread: `createImageBitmap` decodes (and, for a huge image, downscales) on the
 * browser's decoder threads; the page only gets a ready bitmap. An image that doesn't decode, or is
 * larger than the protocol allows, is an error the player acks — the old background stays.
 */
import { MAX_TEXTURE_EDGE } from '../../protocol/limits.ts';

/** Largest edge uploaded to the GPU: the background is seen at screen size, and a bigger upload stalls a frame. */
export const MAX_UPLOAD_EDGE = 2048;

/** A decoded image, ready to upload, and its size as published. */
export interface DecodedTexture {
  readonly bitmap: ImageBitmap;
  readonly width: number;
  readonly height: number;
}

/** Decodes image bytes to a bitmap flipped for WebGL, at most {@link MAX_UPLOAD_EDGE} on its longer edge. */
export async function decodeTexture(bytes: Uint8Array, mime: string): Promise<DecodedTexture> {
  const blob = new Blob([bytes.slice()], { type: mime });
  const options: ImageBitmapOptions = {
    imageOrientation: 'flipY',
    premultiplyAlpha: 'none',
    colorSpaceConversion: 'none',
  };
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, options);
  } catch (cause) {
    throw new Error(`BAD_IMAGE: the ${mime} image does not decode`, { cause });
  }
  const { width, height } = bitmap;
  if (width > MAX_TEXTURE_EDGE || height > MAX_TEXTURE_EDGE) {
    bitmap.close();
    throw new Error(`BAD_IMAGE: ${width}×${height} is over the ${MAX_TEXTURE_EDGE} px limit`);
  }
  const scale = MAX_UPLOAD_EDGE / Math.max(width, height);
  if (scale < 1) {
    // Decode again at the size that is drawn: still off the main thread, and the upload stays small.
    bitmap.close();
    bitmap = await createImageBitmap(blob, {
      ...options,
      resizeWidth: Math.max(1, Math.round(width * scale)),
      resizeHeight: Math.max(1, Math.round(height * scale)),
      resizeQuality: 'high',
    });
  }
  return { bitmap, width, height };
}
