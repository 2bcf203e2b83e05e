/**
 * Base64 decoding of blob chunks, on the page's main thread. Browsers that have the native
 * `Uint8Array.fromBase64` (Chromium 140+, Firefox 133+, Safari 18.2+) decode a 64 KiB chunk without
 * making garbage; elsewhere protocol's decoder does it. Either way the chunk's hash is checked next,
 * so leniency in the decoder can't let a wrong byte through.
 */
import { fromBase64 } from '../../protocol/bytes.ts';

const native: unknown = Reflect.get(Uint8Array, 'fromBase64');

/** Decodes standard base64; throws on text that isn't. */
export function decodeBase64(text: string): Uint8Array {
  if (typeof native === 'function') {
    const out: unknown = Reflect.apply(native, Uint8Array, [text]);
    if (out instanceof Uint8Array) return out;
  }
  return fromBase64(text);
}
