/**
 * Byte encodings used on the wire: UTF-8, hex, base64 and base64url. Pure JavaScript so that the
 * browser, workers and Node share one implementation (no `Buffer`).
 */

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, throwing a `TypeError` on invalid sequences (never replaces them silently). */
export function fromUtf8(bytes: Uint8Array): string {
  return strictDecoder.decode(bytes);
}

/**
 * `bytes` as a view over a plain `ArrayBuffer` — what WebCrypto and `Blob` take in TypeScript 5.9 —
 * copied only when it is over another kind of buffer (a `SharedArrayBuffer`).
 */
export function overArrayBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

const HEX = '0123456789abcdef';

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

/** Bytes of a hex string; throws on odd length or a non-hex digit. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('invalid hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function buildLookup(alphabet: string): Int16Array {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}
const B64_LOOKUP = buildLookup(B64);
const B64URL_LOOKUP = buildLookup(B64URL);

function encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  const parts: string[] = [];
  let chunk = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk += alphabet[v >> 18]! + alphabet[(v >> 12) & 63]! + alphabet[(v >> 6) & 63]! + alphabet[v & 63]!;
    // Join in pieces: one huge `+=` string is slow to flatten in some engines.
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  if (i < n) {
    const b0 = bytes[i]!;
    const b1 = i + 1 < n ? bytes[i + 1]! : 0;
    const v = (b0 << 16) | (b1 << 8);
    chunk += alphabet[v >> 18]! + alphabet[(v >> 12) & 63]!;
    chunk += i + 1 < n ? alphabet[(v >> 6) & 63]! : pad ? '=' : '';
    chunk += pad ? '=' : '';
  }
  parts.push(chunk);
  return parts.join('');
}

function decode(text: string, lookup: Int16Array, name: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (text.length - end > 2 || end % 4 === 1) throw new TypeError(`invalid ${name}`);
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? lookup[c]! : -1;
    if (v < 0) throw new TypeError(`invalid ${name}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  // Leftover bits must be zero, or two encodings would decode to the same bytes.
  if ((acc & ((1 << bits) - 1)) !== 0) throw new TypeError(`invalid ${name}`);
  return out;
}

/** Standard base64 with padding (what the seed protocol and `blob` messages carry). */
export function toBase64(bytes: Uint8Array): string {
  return encode(bytes, B64, true);
}

/** Decodes standard base64 (padding optional); throws a `TypeError` on any other character. */
export function fromBase64(text: string): Uint8Array {
  return decode(text, B64_LOOKUP, 'base64');
}

/** base64url without padding (RFC 4648 §5): keys and signatures. */
export function toBase64Url(bytes: Uint8Array): string {
  return encode(bytes, B64URL, false);
}

/** Decodes unpadded base64url; throws a `TypeError` on any other character. */
export function fromBase64Url(text: string): Uint8Array {
  if (text.includes('=')) throw new TypeError('invalid base64url');
  return decode(text, B64URL_LOOKUP, 'base64url');
}

/** Concatenates byte arrays into a new one. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Constant-shape equality of two byte arrays. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
