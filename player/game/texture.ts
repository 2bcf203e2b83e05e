/**
 * Textures off the main thread: the image is decoded (and, when huge, scaled down) off the page's main
 * thread; the page only gets a ready bitmap, or ready texels. An image that doesn't decode, or is larger than the
 * protocol allows, is an error the player acks — the old background stays.
 *
 * A PNG, where the platform has WebCodecs' `ImageDecoder` (a secure context in Chromium or Firefox), is
 * decoded straight from the bytes: `createImageBitmap(Blob)` first hands the bytes to the browser's
 * blob store and reads them back, and a huge image was decoded twice (once to learn its size, again
 * at the drawn size). Measured in a worker of headless Chromium, a 4 MB PNG: 67–118 ms against
 * 157–313 ms (docs/player.md#textures). Both give the same texels (tests/browser/texture-decode.test.ts).
 * JPEG and WebP stay on `createImageBitmap`: `ImageDecoder` hands their frames out as YUV, and the
 * conversion to RGB upsamples chroma otherwise than the image decoders do (texels up to 76 apart
 * at sharp colour edges in that test) — the same picture should look the same in every player.
 */
import { overArrayBuffer } from '../../protocol/bytes.ts';
import { MAX_TEXTURE_EDGE } from '../../protocol/limits.ts';

/** Largest edge uploaded to the GPU: the background is seen at screen size, and a bigger upload stalls a frame. */
export const MAX_UPLOAD_EDGE = 2048;

/** A decoded image, ready to upload, and its size as published. */
export interface DecodedTexture {
  readonly bitmap: ImageBitmap;
  readonly width: number;
  readonly height: number;
}

/**
 * An opaque image decoded to RGBA texels: 4 bytes per texel (alpha 255), rows top-down as stored
 * (not flipped for WebGL). Uploaded from the array (three's `DataTexture`), its rows flipped by the
 * texture's UV transform.
 */
export interface DecodedTexels {
  readonly texels: Uint8Array;
  /** The size as published, and of the texels (an image that needs scaling comes as a bitmap). */
  readonly width: number;
  readonly height: number;
}

/** Flipped for WebGL (rows bottom-up), colours and alpha as stored. */
const BITMAP_OPTIONS: ImageBitmapOptions = {
  imageOrientation: 'flipY',
  premultiplyAlpha: 'none',
  colorSpaceConversion: 'none',
};

/** Decodes image bytes to a bitmap flipped for WebGL, at most {@link MAX_UPLOAD_EDGE} on its longer edge. */
export async function decodeTexture(bytes: Uint8Array, mime: string): Promise<DecodedTexture> {
  return (await decodeWith(bytes, mime, 'bitmap')) as DecodedTexture;
}

/**
 * {@link decodeTexture}, but an opaque PNG that `ImageDecoder` takes and that needs no scaling comes as RGBA
 * texels ({@link DecodedTexels}, copied out of the decoder's frame) rather than a bitmap: the same
 * work in the worker, and the page's upload is cheap — in headless Chromium here, under load,
 * `texSubImage2D` of a 1155² image took ~1 ms of the page's main thread from an array against
 * ~60 ms from an `ImageBitmap` (which WebGL reads back before it uploads; docs/player.md#textures).
 * Everything else comes as from {@link decodeTexture}.
 */
export async function decodeTexels(
  bytes: Uint8Array,
  mime: string,
  reuse?: TexelBuffers,
): Promise<DecodedTexels | DecodedTexture> {
  return decodeWith(bytes, mime, 'texels', reuse);
}

/**
 * Where texels may go instead of fresh memory: a buffer of exactly `byteLength` bytes the caller is
 * done with (texels of a texture no longer drawn), or null. Fresh memory is slow to touch first — in a
 * worker of headless Chromium here under load, copying a 1155² frame took ~56 ms into a new array
 * against ~1 ms into one used before (docs/performance.md, sixteenth round).
 */
export type TexelBuffers = (byteLength: number) => Uint8Array | null;

/** What a decode hands back where it can: a bitmap (always possible), or texels. */
type Wanted = 'bitmap' | 'texels';

async function decodeWith(
  bytes: Uint8Array,
  mime: string,
  wanted: Wanted,
  reuse?: TexelBuffers,
): Promise<DecodedTexels | DecodedTexture> {
  try {
    const decoded = await withImageDecoder(bytes, mime, wanted, reuse);
    if (decoded) return decoded;
  } catch (error) {
    // Over the edge is final; bytes the decoder refused get the other decoder's word on them.
    if (!(error instanceof UndecodableError)) throw error;
  }
  return withBlob(bytes, mime);
}

/** The decoder refused the bytes (as opposed to an image that decodes but is too big). */
class UndecodableError extends Error {}

/** The `BAD_IMAGE` error of an image that doesn't decode. */
function undecodable(mime: string, cause: unknown): Error {
  return new Error(`BAD_IMAGE: the ${mime} image does not decode`, { cause });
}

/** Throws `BAD_IMAGE` for an image over the protocol's edge. */
function checkEdges(width: number, height: number): void {
  if (width > MAX_TEXTURE_EDGE || height > MAX_TEXTURE_EDGE) {
    throw new Error(`BAD_IMAGE: ${width}×${height} is over the ${MAX_TEXTURE_EDGE} px limit`);
  }
}

/** The bitmap options for an image of `width` × `height`: scaled to the drawn size when over it. */
function sized(width: number, height: number): ImageBitmapOptions {
  const scale = MAX_UPLOAD_EDGE / Math.max(width, height);
  if (scale >= 1) return BITMAP_OPTIONS;
  return {
    ...BITMAP_OPTIONS,
    resizeWidth: Math.max(1, Math.round(width * scale)),
    resizeHeight: Math.max(1, Math.round(height * scale)),
    resizeQuality: 'high',
  };
}

/** The types decoded with `ImageDecoder` where there is one: those it hands out as RGBA (see above). */
const IMAGE_DECODER_TYPES: ReadonlySet<string> = new Set(['image/png']);

/** `ImageDecoder.isTypeSupported`'s answers, asked once per type (each answer is a task away). */
const supported = new Map<string, Promise<boolean>>();

/** True when this realm has WebCodecs' `ImageDecoder`, and it decodes `mime` as RGBA. */
function imageDecoderTakes(mime: string): Promise<boolean> | false {
  if (!IMAGE_DECODER_TYPES.has(mime) || typeof globalThis.ImageDecoder !== 'function') return false;
  let answer = supported.get(mime);
  if (!answer) {
    answer = ImageDecoder.isTypeSupported(mime).catch(() => false);
    supported.set(mime, answer);
  }
  return answer;
}

/**
 * One decode with `ImageDecoder` (its first frame), the size checked, then the texels (when wanted
 * and the image needs no scaling; into a buffer `reuse` gives, if it does) or the one bitmap at the
 * drawn size; null when the platform has no `ImageDecoder` for `mime`.
 */
async function withImageDecoder(
  bytes: Uint8Array,
  mime: string,
  wanted: Wanted,
  reuse?: TexelBuffers,
): Promise<DecodedTexels | DecodedTexture | null> {
  if (!(await imageDecoderTakes(mime))) return null;
  let decoder: ImageDecoder | undefined;
  let frame: VideoFrame | undefined;
  try {
    try {
      // The decoder copies `data` (the caller keeps its bytes: they are cached and shared).
      decoder = new ImageDecoder({
        data: bytes,
        type: mime,
        colorSpaceConversion: 'none',
        preferAnimation: false,
      });
      frame = (await decoder.decode({ frameIndex: 0 })).image;
    } catch (cause) {
      throw new UndecodableError(String(cause), { cause });
    }
    const width = frame.displayWidth;
    const height = frame.displayHeight;
    checkEdges(width, height);
    const options = sized(width, height);
    const texels = wanted === 'texels' && options === BITMAP_OPTIONS ? await texelsOf(frame, reuse) : null;
    if (texels) return { texels, width, height };
    return { bitmap: await createImageBitmap(frame, options), width, height };
  } finally {
    frame?.close();
    decoder?.close();
  }
}

/** True where a `Uint32Array` holds its bytes little-endian (the texel swizzle below assumes it). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * An opaque frame's texels as tightly packed RGBA rows, top-down (alpha 255); null for a frame with
 * alpha — copied out, its texels are premultiplied (in Chromium 156 the colour under alpha 0 is lost,
 * and others are ±1 off), where a bitmap keeps them as stored — and for one whose size or layout
 * this doesn't know: then a bitmap is made. The frame is copied in its own format (`BGRX` or `RGBX`)
 * and the bytes put in RGBA order here: asked for `RGBA`, Chromium converts on the page's main
 * thread, so a worker's copy waits for the page's frames (tests/browser/player-worker-client.test.ts).
 */
async function texelsOf(frame: VideoFrame, reuse?: TexelBuffers): Promise<Uint8Array | null> {
  const format = frame.format;
  if ((format !== 'BGRX' && format !== 'RGBX') || !LITTLE_ENDIAN) return null;
  const width = frame.displayWidth;
  const height = frame.displayHeight;
  const visible = frame.visibleRect;
  if (!visible || visible.width !== width || visible.height !== height) return null;
  const size = width * height * 4;
  const given = reuse?.(size);
  const texels = given?.byteLength === size && given.byteOffset % 4 === 0 ? given : new Uint8Array(size);
  try {
    await frame.copyTo(texels, { layout: [{ offset: 0, stride: width * 4 }] });
  } catch {
    return null;
  }
  const words = new Uint32Array(texels.buffer, texels.byteOffset, size / 4);
  if (format === 'BGRX') {
    // Bytes B G R X, read little-endian: X R G B from the top. Out: A B G R from the top.
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      words[i] = 0xff000000 | ((w & 0xff) << 16) | (w & 0xff00) | ((w >>> 16) & 0xff);
    }
  } else {
    for (let i = 0; i < words.length; i++) words[i] = words[i]! | 0xff000000;
  }
  return texels;
}

/** `createImageBitmap(Blob)`: decoded once at full size, again at the drawn size when over it. */
async function withBlob(bytes: Uint8Array, mime: string): Promise<DecodedTexture> {
  // (A view over a plain ArrayBuffer goes in as it is: the Blob copies it anyway.)
  const blob = new Blob([overArrayBuffer(bytes)], { type: mime });
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, BITMAP_OPTIONS);
  } catch (cause) {
    throw undecodable(mime, cause);
  }
  const { width, height } = bitmap;
  const options = sized(width, height);
  if (options === BITMAP_OPTIONS) return { bitmap, width, height };
  // (An image over the protocol's edge is always over the drawn size too, so it is checked here.)
  bitmap.close();
  checkEdges(width, height);
  // Decode again at the size that is drawn: still off the main thread, and the upload stays small.
  return { bitmap: await createImageBitmap(blob, options), width, height };
}
