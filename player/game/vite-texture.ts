/**
 * The texture decoder as the repository's own Vite-built pages start it: Vite bundles
 * `texture.worker.ts` into a worker file and this import gives its URL (as `vite-sandbox.ts` does for
 * the sandbox). The package's library never imports this file.
 */
import workerUrl from './texture.worker.ts?worker&url';
import { workerTextureDecoder, type DecodeTexture } from './texture-decoder.ts';

/** Starts the decoder worker; textures decode there from now on. */
export function viteTextureDecoder(): DecodeTexture {
  return workerTextureDecoder(workerUrl);
}
