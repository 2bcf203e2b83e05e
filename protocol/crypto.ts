/**
 * Ed25519 signatures and SHA-256 through WebCrypto, identical in browsers, workers and Node 20+.
 *
 * Public keys travel as the raw 32 bytes in base64url; signatures as the raw 64 bytes in base64url;
 * secret keys as the 32-byte seed in base64url (the JWK `d` member), so a key file written by the CLI
 * imports in the browser and the other way round.
 */
import { fromBase64Url, overArrayBuffer, toBase64Url, toHex } from './bytes.ts';

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

/** SHA-256 digest of bytes. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', overArrayBuffer(bytes)));
}

/** SHA-256 digest of bytes as 64 lower-case hex digits: the address of a blob. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256(bytes));
}

/** Length of a raw Ed25519 public key. */
export const PUBLIC_KEY_BYTES = 32;
/** Length of a raw Ed25519 signature. */
export const SIGNATURE_BYTES = 64;

/**
 * The key id of a public key: the first 8 bytes of SHA-256 of the raw key, as 16 hex digits.
 * Short enough to read aloud, long enough that two keys of one room never collide by chance.
 */
export async function keyIdOf(publicKey: string): Promise<string> {
  return toHex((await sha256(fromBase64Url(publicKey))).subarray(0, 8));
}

/** A key that can sign releases for a room. */
export interface SigningKey {
  /** Derived from the public key by {@link keyIdOf}. */
  readonly keyId: string;
  /** Raw public key, base64url. */
  readonly publicKey: string;
  /** The WebCrypto private key (extractable only if it was created or imported so). */
  readonly privateKey: CryptoKey;
}

/** Generates a new Ed25519 key; `extractable` lets it be exported to a key file or backup. */
export async function generateSigningKey(extractable = true): Promise<SigningKey> {
  const pair = await subtle().generateKey({ name: 'Ed25519' }, extractable, ['sign', 'verify']);
  if (!('privateKey' in pair)) throw new TypeError('Ed25519 generateKey did not return a key pair');
  const raw = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  const publicKey = toBase64Url(raw);
  return { keyId: await keyIdOf(publicKey), publicKey, privateKey: pair.privateKey };
}

/** Imports a signing key from its public key and 32-byte secret seed (both base64url). */
export async function importSigningKey(
  publicKey: string,
  secretKey: string,
  extractable = true,
): Promise<SigningKey> {
  const jwk: JsonWebKey = { kty: 'OKP', crv: 'Ed25519', x: publicKey, d: secretKey };
  let privateKey: CryptoKey;
  try {
    privateKey = await subtle().importKey('jwk', jwk, { name: 'Ed25519' }, extractable, ['sign']);
  } catch (cause) {
    // Node checks that `d` and `x` agree at import; browsers may not. Either way, one message.
    throw new TypeError('secret key does not belong to the public key', { cause });
  }
  // Importing only proves the seed is 32 bytes; prove it matches the public key by a round trip.
  const probe = new Uint8Array([0x70, 0x63]);
  const sig = new Uint8Array(await subtle().sign({ name: 'Ed25519' }, privateKey, probe));
  if (!(await verifyBytes(publicKey, probe, toBase64Url(sig)))) {
    throw new TypeError('secret key does not belong to the public key');
  }
  return { keyId: await keyIdOf(publicKey), publicKey, privateKey };
}

/** The 32-byte secret seed of an extractable signing key, base64url. */
export async function exportSecretKey(key: SigningKey): Promise<string> {
  const jwk = await subtle().exportKey('jwk', key.privateKey);
  if (typeof jwk.d !== 'string') throw new TypeError('key has no exportable secret');
  return jwk.d;
}

const publicKeyCache = new Map<string, Promise<CryptoKey>>();

/** Imports a raw base64url public key for verification (cached: rooms verify with few keys). */
export function importPublicKey(publicKey: string): Promise<CryptoKey> {
  let key = publicKeyCache.get(publicKey);
  if (!key) {
    const raw = fromBase64Url(publicKey);
    if (raw.length !== PUBLIC_KEY_BYTES) return Promise.reject(new TypeError('public key must be 32 bytes'));
    key = subtle().importKey('raw', overArrayBuffer(raw), { name: 'Ed25519' }, true, ['verify']);
    key.catch(() => publicKeyCache.delete(publicKey));
    if (publicKeyCache.size > 256) publicKeyCache.clear();
    publicKeyCache.set(publicKey, key);
  }
  return key;
}

/** Signs bytes; returns the 64-byte signature as base64url. */
export async function signBytes(key: SigningKey, bytes: Uint8Array): Promise<string> {
  return toBase64Url(
    new Uint8Array(await subtle().sign({ name: 'Ed25519' }, key.privateKey, overArrayBuffer(bytes))),
  );
}

/**
 * Verifies a base64url signature over bytes under a base64url public key. Returns false (never throws)
 * for a malformed key or signature: to a verifier, those are just bad signatures.
 */
export async function verifyBytes(publicKey: string, bytes: Uint8Array, signature: string): Promise<boolean> {
  try {
    const sig = fromBase64Url(signature);
    if (sig.length !== SIGNATURE_BYTES) return false;
    const key = await importPublicKey(publicKey);
    return await subtle().verify({ name: 'Ed25519' }, key, overArrayBuffer(sig), overArrayBuffer(bytes));
  } catch {
    return false;
  }
}
