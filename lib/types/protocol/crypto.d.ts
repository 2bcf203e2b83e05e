/** SHA-256 digest of bytes. */
export declare function sha256(bytes: Uint8Array): Promise<Uint8Array>;
/** SHA-256 digest of bytes as 64 lower-case hex digits: the address of a blob. */
export declare function sha256Hex(bytes: Uint8Array): Promise<string>;
/** Length of a raw Ed25519 public key. */
export declare const PUBLIC_KEY_BYTES = 32;
/** Length of a raw Ed25519 signature. */
export declare const SIGNATURE_BYTES = 64;
/**
 * The key id of a public key: the first 8 bytes of SHA-256 of the raw key, as 16 hex digits.
 * Short enough to read aloud, long enough that two keys of one room never collide by chance.
 */
export declare function keyIdOf(publicKey: string): Promise<string>;
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
export declare function generateSigningKey(extractable?: boolean): Promise<SigningKey>;
/** Imports a signing key from its public key and 32-byte secret seed (both base64url). */
export declare function importSigningKey(publicKey: string, secretKey: string, extractable?: boolean): Promise<SigningKey>;
/** The 32-byte secret seed of an extractable signing key, base64url. */
export declare function exportSecretKey(key: SigningKey): Promise<string>;
/** Imports a raw base64url public key for verification (cached: rooms verify with few keys). */
export declare function importPublicKey(publicKey: string): Promise<CryptoKey>;
/** Signs bytes; returns the 64-byte signature as base64url. */
export declare function signBytes(key: SigningKey, bytes: Uint8Array): Promise<string>;
/**
 * Verifies a base64url signature over bytes under a base64url public key. Returns false (never throws)
 * for a malformed key or signature: to a verifier, those are just bad signatures.
 */
export declare function verifyBytes(publicKey: string, bytes: Uint8Array, signature: string): Promise<boolean>;
