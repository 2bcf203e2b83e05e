/**
 * Byte encodings used on the wire: UTF-8, hex, base64 and base64url. Pure JavaScript so that the
 * browser, workers and Node share one implementation (no `Buffer`).
 */
/** UTF-8 bytes of a string. */
export declare function utf8(text: string): Uint8Array;
/** Decodes UTF-8, throwing a `TypeError` on invalid sequences (never replaces them silently). */
export declare function fromUtf8(bytes: Uint8Array): string;
/** Lower-case hex of bytes. */
export declare function toHex(bytes: Uint8Array): string;
/** Bytes of a hex string; throws on odd length or a non-hex digit. */
export declare function fromHex(hex: string): Uint8Array;
/** Standard base64 with padding (what the seed protocol and `blob` messages carry). */
export declare function toBase64(bytes: Uint8Array): string;
/** Decodes standard base64 (padding optional); throws a `TypeError` on any other character. */
export declare function fromBase64(text: string): Uint8Array;
/** base64url without padding (RFC 4648 §5): keys and signatures. */
export declare function toBase64Url(bytes: Uint8Array): string;
/** Decodes unpadded base64url; throws a `TypeError` on any other character. */
export declare function fromBase64Url(text: string): Uint8Array;
/** Concatenates byte arrays into a new one. */
export declare function concatBytes(parts: readonly Uint8Array[]): Uint8Array;
/** Constant-shape equality of two byte arrays. */
export declare function bytesEqual(a: Uint8Array, b: Uint8Array): boolean;
