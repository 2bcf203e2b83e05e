/**
 * JSON Canonicalization Scheme (RFC 8785): the exact bytes a signature covers.
 *
 * Properties are sorted by their UTF-16 code units, numbers use ECMAScript's shortest round-trip form
 * (which `JSON.stringify` already produces for finite numbers), strings use `JSON.stringify`'s escaping
 * (the same as RFC 8785 §3.2.2.2), and there is no whitespace.
 */
/** A value that can be canonicalized: plain JSON. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | {
    readonly [key: string]: JsonValue;
};
/** True when a string has no unpaired surrogate, i.e. it can be canonicalized (I-JSON). */
export declare function isWellFormedText(s: string): boolean;
/** The RFC 8785 canonical JSON text of a value; throws a `TypeError` on non-JSON input. */
export declare function canonicalize(value: unknown): string;
/** UTF-8 bytes of {@link canonicalize}: what Ed25519 signs. */
export declare function canonicalBytes(value: unknown): Uint8Array;
