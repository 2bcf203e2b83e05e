/**
 * Texture decoding for a page that draws every frame: the image is decoded in a worker of its own
 * (`texture.worker.ts`) and only the finished `ImageBitmap` comes back, so the page's main thread pays
 * one message for a texture instead of the turns `createImageBitmap(Blob)` takes there (reading the
 * `Blob` back, then the decode's answer: ~3 rendered frames each time on the demo pages, see
 * docs/player.md#measured). Where the worker can't start or dies, textures decode on the page as
 * before ({@link decodeTexture}): slower, never wrong.
 */
import { wrap, type Remote } from 'comlink';
import { decodeTexture, type DecodedTexture } from './texture.ts';

/** What the decoder worker exposes (Comlink). */
export interface TextureDecoderApi {
  decode(bytes: Uint8Array, mime: string): Promise<DecodedTexture>;
}

/** Decodes image bytes to a texture ready to upload (see {@link decodeTexture} for what is checked). */
export type DecodeTexture = (bytes: Uint8Array, mime: string) => Promise<DecodedTexture>;

/**
 * A decoder on a module worker at `workerUrl`, started now (so the first texture doesn't wait for it
 * to load). The bytes are copied to the worker (the caller keeps its own: they go to the cache too).
 */
export function workerTextureDecoder(workerUrl: string | URL): DecodeTexture {
  /** Decodes waiting on the worker: each fails over to the page if the worker is lost. */
  const waiting = new Set<(error: Error) => void>();
  let remote: Remote<TextureDecoderApi> | null = null;
  try {
    const worker = new Worker(new URL(workerUrl, location.href), { type: 'module', name: 'texture-decoder' });
    // A worker that fails to load (or dies) answers nothing: every decode from then on is the page's.
    worker.addEventListener('error', () => {
      remote = null;
      worker.terminate();
      for (const lose of waiting) lose(new Error('the texture decoder worker failed'));
    });
    remote = wrap<TextureDecoderApi>(worker);
  } catch {
    remote = null;
  }
  return async (bytes, mime) => {
    const r = remote;
    if (!r) return decodeTexture(bytes, mime);
    let lose: (error: Error) => void = () => undefined;
    const lost = new Promise<never>((_, reject) => (lose = reject));
    waiting.add(lose);
    try {
      return await Promise.race([r.decode(bytes, mime), lost]);
    } catch (error) {
      // The image's own fault (BAD_IMAGE) is the answer; a lost worker is not: decode here instead.
      if (remote === null) return decodeTexture(bytes, mime);
      throw error instanceof Error ? error : new Error(String(error));
    } finally {
      waiting.delete(lose);
    }
  };
}
