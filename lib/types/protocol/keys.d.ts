/**
 * Room keys: the key file format the CLI writes and the admin site imports, and key rotation records
 * (a new key, signed by a key the room already trusts).
 */
import * as v from 'valibot';
import { type Result } from './errors.js';
import { type SigningKey } from './crypto.js';
/** The on-disk key file (`patchcast keygen`): JSON, file mode 0600. */
export declare const KeyFileSchema: v.StrictObjectSchema<{
    readonly format: v.LiteralSchema<"patchcast-key/1", undefined>;
    readonly alg: v.LiteralSchema<"Ed25519", undefined>;
    readonly keyId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid key id">]>;
    readonly publicKey: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid public key">]>;
    /** The 32-byte secret seed, base64url. Anyone holding it can publish to the room. */
    readonly secretKey: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid secret key">]>;
    readonly createdAt: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
    readonly room: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>, undefined>;
}, undefined>;
/** A parsed key file. */
export type KeyFile = v.InferOutput<typeof KeyFileSchema>;
/** Validates a key file's structure. */
export declare const parseKeyFile: import("./validate.js").Validator<{
    format: "patchcast-key/1";
    alg: "Ed25519";
    keyId: string;
    publicKey: string;
    secretKey: string;
    createdAt: string;
    room?: string;
}, "BAD_MESSAGE">;
/** Writes a signing key as a key file object (its private key must be extractable). */
export declare function toKeyFile(key: SigningKey, room?: string, now?: Date): Promise<KeyFile>;
/** Imports a key file; fails if the key id or the public key don't match the secret. */
export declare function fromKeyFile(file: KeyFile, extractable?: boolean): Promise<SigningKey>;
/** A rotation record: "the room also trusts `newKey`", signed by a key the room trusts already. */
export declare const KeyRotationSchema: v.StrictObjectSchema<{
    readonly format: v.LiteralSchema<1, undefined>;
    readonly kind: v.LiteralSchema<"key-rotation", undefined>;
    readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
    readonly newKey: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid public key">]>;
    readonly newKeyId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid key id">]>;
    readonly createdAt: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
    /** The id of the signing key. */
    readonly keyId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid key id">]>;
}, undefined>;
/** A rotation record. */
export type KeyRotation = v.InferOutput<typeof KeyRotationSchema>;
/** A rotation record with its signature over `canonicalize(rotation)`. */
export declare const SignedRotationSchema: v.StrictObjectSchema<{
    readonly rotation: v.StrictObjectSchema<{
        readonly format: v.LiteralSchema<1, undefined>;
        readonly kind: v.LiteralSchema<"key-rotation", undefined>;
        readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
        readonly newKey: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid public key">]>;
        readonly newKeyId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid key id">]>;
        readonly createdAt: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
        /** The id of the signing key. */
        readonly keyId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid key id">]>;
    }, undefined>;
    readonly sig: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid signature">]>;
}, undefined>;
/** A signed rotation record. */
export type SignedRotation = v.InferOutput<typeof SignedRotationSchema>;
/** Validates a signed rotation record's structure. */
export declare const parseSignedRotation: import("./validate.js").Validator<{
    rotation: {
        format: 1;
        kind: "key-rotation";
        room: string;
        newKey: string;
        newKeyId: string;
        createdAt: string;
        keyId: string;
    };
    sig: string;
}, "BAD_MESSAGE">;
/** The keys a room trusts: key id → base64url public key. */
export type TrustedKeys = ReadonlyMap<string, string>;
/** Builds a trust map from public keys (base64url). */
export declare function trustKeys(publicKeys: readonly string[]): Promise<Map<string, string>>;
/** Creates a rotation record that makes `room` trust `newPublicKey`, signed by `signer`. */
export declare function signRotation(room: string, newPublicKey: string, signer: SigningKey, now?: Date): Promise<SignedRotation>;
/**
 * Checks one rotation record against the keys a room trusts; on success returns the trust map with
 * the new key added (the input is not changed).
 */
export declare function acceptRotation(candidate: unknown, room: string, trusted: TrustedKeys): Promise<Result<Map<string, string>>>;
/**
 * Extends a pinned trust map along a chain of rotation records, in order. Records that don't verify
 * against what is trusted so far are skipped (a relay may not add keys on its own).
 */
export declare function extendTrust(pinned: TrustedKeys, rotations: readonly unknown[], room: string): Promise<TrustedKeys>;
