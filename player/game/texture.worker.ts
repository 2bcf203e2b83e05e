/**
 * The texture decoder's worker: image bytes in, an `ImageBitmap` out (transferred, not copied). It
 * runs `decodeTexture` — `createImageBitmap` from a `Blob`, the size checks, the downscale — off the
 * page's main thread, where reading a `Blob` back for the decoder costs several turns of an event loop
 * that also draws the game (docs/player.md#measured). Nothing else happens here: no network, no
 * storage; the bytes were verified before they were sent.
 */
import { expose, transfer } from 'comlink';
import { decodeTexture } from './texture.ts';
import type { TextureDecoderApi } from './texture-decoder.ts';

const api: TextureDecoderApi = {
  async decode(bytes, mime) {
    const decoded = await decodeTexture(bytes, mime);
    return transfer(decoded, [decoded.bitmap]);
  },
};

expose(api);
