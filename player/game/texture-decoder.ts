/**
 * Texture decoding for a page that draws every frame: the image is decoded in a worker of its own
 * (`texture.worker.ts`) and only the finished `ImageBitmap` comes back, so the page's main thread pays
 * one message for a texture instead of the turns `createImageBitmap(Blob)` takes there (reading the
 * `Blob` back, then the decode's answer: ~3 rendered frames each time on the demo pages, see
 * docs/player.md#measured). Where the worker can't start or dies, textures decode on the page as
 * before ({@link decodeTexture}): slower, never wrong. A worker that answers nothing for
 * {@link WORKER_DECODE_TIMEOUT_MS} (crashed without an `error` event, out of memory) counts as dead.
 */
import { wrap, type Remote } from 'comlink';
import { decodeTexture, type DecodedTexture } from './texture.ts';

/** What the decoder worker exposes (Comlink). */
export interface TextureDecoderApi {
  decode(bytes: Uint8Array, mime: string): Promise<DecodedTexture>;
}

/**
 * Longest wait for the worker's answer before the page decodes the texture itself and stops using the
 * worker. A 4 MB texture decodes in ~0.1 s there; the margin is for a machine under heavy load.
 */
export const WORKER_DECODE_TIMEOUT_MS = 10_000;

/** Decodes image bytes to a texture ready to upload (see {@link decodeTexture} for what is checked). */
export type DecodeTexture = (bytes: Uint8Array, mime: string) => Promise<DecodedTexture>;

/**
 * A decoder on a module worker at `workerUrl`, started now (so the first texture doesn't wait for it
 * to load). The bytes are copied to the worker (the caller keeps its own: they go to the cache too).
 */
export function workerTextureDecoder(
  workerUrl: string | URL,
  options: { timeoutMs?: number; onPage?: DecodeTexture } = {},
): DecodeTexture {
  const onPage = options.onPage ?? decodeTexture;
  const timeoutMs = options.timeoutMs ?? WORKER_DECODE_TIMEOUT_MS;
  /** Decodes waiting on the worker: each fails over to the page if the worker is lost. */
  const waiting = new Set<(error: Error) => void>();
  let remote: Remote<TextureDecoderApi> | null = null;
  let worker: Worker | null = null;
  // A worker that fails to load, dies or stops answering: every decode from then on is the page's.
  const lost = (why: string) => {
    remote = null;
    worker?.terminate();
    for (const lose of waiting) lose(new Error(why));
  };
  try {
    worker = new Worker(new URL(workerUrl, location.href), { type: 'module', name: 'texture-decoder' });
    worker.addEventListener('error', () => lost('the texture decoder worker failed'));
    remote = wrap<TextureDecoderApi>(worker);
  } catch {
    remote = null;
  }
  return async (bytes, mime) => {
    const r = remote;
    if (!r) return onPage(bytes, mime);
    let lose: (error: Error) => void = () => undefined;
    const gone = new Promise<never>((_, reject) => (lose = reject));
    waiting.add(lose);
    const timer = setTimeout(
      () => lost(`the texture decoder worker did not answer in ${timeoutMs} ms`),
      timeoutMs,
    );
    try {
      return await Promise.race([r.decode(bytes, mime), gone]);
    } catch (error) {
      // The image's own fault (BAD_IMAGE) is the answer; a lost worker is not: decode here instead.
      if (remote === null) return onPage(bytes, mime);
      throw error instanceof Error ? error : new Error(String(error));
    } finally {
      clearTimeout(timer);
      waiting.delete(lose);
    }
  };
}
