/**
 * The release: one signed snapshot of every slot of a room. What gets signed is the RFC 8785 canonical
 * JSON of `release`; the signature travels beside it in a {@link SignedRelease}.
 */
import * as v from 'valibot';
import { type SigningKey } from './crypto.js';
/** A room name: lower-case letters, digits, `-` and `_`, up to 64 characters. */
export declare const RoomName: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
/** A slot name: like a room name, up to 32 characters. */
export declare const SlotName: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid slot name">]>;
/** A SHA-256 digest as 64 lower-case hex digits. */
export declare const Sha256Hex: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
/** A key id (see `keyIdOf`): 16 lower-case hex digits. */
export declare const KeyId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid key id">]>;
/** A raw Ed25519 public key in unpadded base64url (43 characters). */
export declare const PublicKeyText: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid public key">]>;
/** A raw Ed25519 signature in unpadded base64url (86 characters). */
export declare const SignatureText: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid signature">]>;
/** A human version label such as `1.3.0`: printable, no control characters. */
export declare const VersionLabel: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
/** An ISO-8601 UTC timestamp as `Date.prototype.toISOString` writes it. */
export declare const IsoTime: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
/** A non-negative safe integer. */
export declare const Count: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
/** The kinds of slot: a logic script, an image texture, a small JSON config. */
export declare const SlotKind: {
    readonly script: "script";
    readonly texture: "texture";
    readonly config: "config";
};
/** One of {@link SlotKind}. */
export type SlotKind = (typeof SlotKind)[keyof typeof SlotKind];
/** Image types a texture slot may carry. */
export declare const TextureMime: readonly ["image/png", "image/jpeg", "image/webp"];
/** One of {@link TextureMime}. */
export type TextureMime = (typeof TextureMime)[number];
/** Languages a script slot may be written in: `js` for players, `python` for seed-protocol clients. */
export declare const ScriptLang: readonly ["js", "python"];
/** One of {@link ScriptLang}. */
export type ScriptLang = (typeof ScriptLang)[number];
/** A logic script slot. */
export declare const ScriptSlotSchema: v.StrictObjectSchema<{
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, "empty blob">, v.MaxValueAction<number, number, "blob too large">]>;
    readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
    readonly chunkSize: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, number, undefined>, v.MaxValueAction<number, number, undefined>]>;
    readonly chunks: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, v.MinLengthAction<string[], 1, undefined>, v.MaxLengthAction<string[], number, undefined>]>;
    readonly rollout: v.ExactOptionalSchema<v.StrictObjectSchema<{
        readonly percent: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 100, undefined>]>;
    }, undefined>, undefined>;
    readonly kind: v.LiteralSchema<"script", undefined>;
    readonly lang: v.ExactOptionalSchema<v.PicklistSchema<readonly ["js", "python"], undefined>, undefined>;
}, undefined>;
/** A texture slot. */
export declare const TextureSlotSchema: v.StrictObjectSchema<{
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, "empty blob">, v.MaxValueAction<number, number, "blob too large">]>;
    readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
    readonly chunkSize: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, number, undefined>, v.MaxValueAction<number, number, undefined>]>;
    readonly chunks: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, v.MinLengthAction<string[], 1, undefined>, v.MaxLengthAction<string[], number, undefined>]>;
    readonly rollout: v.ExactOptionalSchema<v.StrictObjectSchema<{
        readonly percent: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 100, undefined>]>;
    }, undefined>, undefined>;
    readonly kind: v.LiteralSchema<"texture", undefined>;
    readonly mime: v.PicklistSchema<readonly ["image/png", "image/jpeg", "image/webp"], undefined>;
}, undefined>;
/** A config slot (UTF-8 JSON object). */
export declare const ConfigSlotSchema: v.StrictObjectSchema<{
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, "empty blob">, v.MaxValueAction<number, number, "blob too large">]>;
    readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
    readonly chunkSize: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, number, undefined>, v.MaxValueAction<number, number, undefined>]>;
    readonly chunks: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, v.MinLengthAction<string[], 1, undefined>, v.MaxLengthAction<string[], number, undefined>]>;
    readonly rollout: v.ExactOptionalSchema<v.StrictObjectSchema<{
        readonly percent: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 100, undefined>]>;
    }, undefined>, undefined>;
    readonly kind: v.LiteralSchema<"config", undefined>;
}, undefined>;
/** Any slot, told apart by `kind`. */
export declare const SlotSchema: v.VariantSchema<"kind", [v.StrictObjectSchema<{
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, "empty blob">, v.MaxValueAction<number, number, "blob too large">]>;
    readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
    readonly chunkSize: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, number, undefined>, v.MaxValueAction<number, number, undefined>]>;
    readonly chunks: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, v.MinLengthAction<string[], 1, undefined>, v.MaxLengthAction<string[], number, undefined>]>;
    readonly rollout: v.ExactOptionalSchema<v.StrictObjectSchema<{
        readonly percent: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 100, undefined>]>;
    }, undefined>, undefined>;
    readonly kind: v.LiteralSchema<"script", undefined>;
    readonly lang: v.ExactOptionalSchema<v.PicklistSchema<readonly ["js", "python"], undefined>, undefined>;
}, undefined>, v.StrictObjectSchema<{
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, "empty blob">, v.MaxValueAction<number, number, "blob too large">]>;
    readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
    readonly chunkSize: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, number, undefined>, v.MaxValueAction<number, number, undefined>]>;
    readonly chunks: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, v.MinLengthAction<string[], 1, undefined>, v.MaxLengthAction<string[], number, undefined>]>;
    readonly rollout: v.ExactOptionalSchema<v.StrictObjectSchema<{
        readonly percent: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 100, undefined>]>;
    }, undefined>, undefined>;
    readonly kind: v.LiteralSchema<"texture", undefined>;
    readonly mime: v.PicklistSchema<readonly ["image/png", "image/jpeg", "image/webp"], undefined>;
}, undefined>, v.StrictObjectSchema<{
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, "empty blob">, v.MaxValueAction<number, number, "blob too large">]>;
    readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
    readonly chunkSize: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, number, undefined>, v.MaxValueAction<number, number, undefined>]>;
    readonly chunks: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, v.MinLengthAction<string[], 1, undefined>, v.MaxLengthAction<string[], number, undefined>]>;
    readonly rollout: v.ExactOptionalSchema<v.StrictObjectSchema<{
        readonly percent: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 100, undefined>]>;
    }, undefined>, undefined>;
    readonly kind: v.LiteralSchema<"config", undefined>;
}, undefined>], undefined>;
/** A slot of a release: names one content-addressed blob. */
export type Slot = v.InferOutput<typeof SlotSchema>;
/** A script slot. */
export type ScriptSlot = v.InferOutput<typeof ScriptSlotSchema>;
/** A texture slot. */
export type TextureSlot = v.InferOutput<typeof TextureSlotSchema>;
/** A config slot. */
export type ConfigSlot = v.InferOutput<typeof ConfigSlotSchema>;
/** The current release format. */
export declare const RELEASE_FORMAT = 1;
/** The release schema (structure only; {@link acceptRelease} checks meaning). */
export declare const ReleaseSchema: v.StrictObjectSchema<{
    readonly format: v.LiteralSchema<1, undefined>;
    readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
    readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, undefined>]>;
    readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
    readonly notes: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 2000, undefined>, v.CheckAction<string, "notes have an unpaired surrogate">]>, undefined>;
    readonly createdAt: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
    readonly expiresAt: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
    readonly keyId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid key id">]>;
    readonly slots: v.SchemaWithPipe<readonly [v.RecordSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid slot name">]>, v.VariantSchema<"kind", [v.StrictObjectSchema<{
        readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
        readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, "empty blob">, v.MaxValueAction<number, number, "blob too large">]>;
        readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
        readonly chunkSize: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, number, undefined>, v.MaxValueAction<number, number, undefined>]>;
        readonly chunks: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, v.MinLengthAction<string[], 1, undefined>, v.MaxLengthAction<string[], number, undefined>]>;
        readonly rollout: v.ExactOptionalSchema<v.StrictObjectSchema<{
            readonly percent: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 100, undefined>]>;
        }, undefined>, undefined>;
        readonly kind: v.LiteralSchema<"script", undefined>;
        readonly lang: v.ExactOptionalSchema<v.PicklistSchema<readonly ["js", "python"], undefined>, undefined>;
    }, undefined>, v.StrictObjectSchema<{
        readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
        readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, "empty blob">, v.MaxValueAction<number, number, "blob too large">]>;
        readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
        readonly chunkSize: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, number, undefined>, v.MaxValueAction<number, number, undefined>]>;
        readonly chunks: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, v.MinLengthAction<string[], 1, undefined>, v.MaxLengthAction<string[], number, undefined>]>;
        readonly rollout: v.ExactOptionalSchema<v.StrictObjectSchema<{
            readonly percent: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 100, undefined>]>;
        }, undefined>, undefined>;
        readonly kind: v.LiteralSchema<"texture", undefined>;
        readonly mime: v.PicklistSchema<readonly ["image/png", "image/jpeg", "image/webp"], undefined>;
    }, undefined>, v.StrictObjectSchema<{
        readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
        readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, "empty blob">, v.MaxValueAction<number, number, "blob too large">]>;
        readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
        readonly chunkSize: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, number, undefined>, v.MaxValueAction<number, number, undefined>]>;
        readonly chunks: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, v.MinLengthAction<string[], 1, undefined>, v.MaxLengthAction<string[], number, undefined>]>;
        readonly rollout: v.ExactOptionalSchema<v.StrictObjectSchema<{
            readonly percent: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 100, undefined>]>;
        }, undefined>, undefined>;
        readonly kind: v.LiteralSchema<"config", undefined>;
    }, undefined>], undefined>, undefined>, v.CheckAction<{
        [x: string]: {
            sha256: string;
            size: number;
            version: string;
            chunkSize: number;
            chunks: string[];
            rollout?: {
                percent: number;
            };
            kind: "script";
            lang?: "js" | "python";
        } | {
            sha256: string;
            size: number;
            version: string;
            chunkSize: number;
            chunks: string[];
            rollout?: {
                percent: number;
            };
            kind: "texture";
            mime: "image/png" | "image/jpeg" | "image/webp";
        } | {
            sha256: string;
            size: number;
            version: string;
            chunkSize: number;
            chunks: string[];
            rollout?: {
                percent: number;
            };
            kind: "config";
        };
    }, "more than 16 slots">]>;
}, undefined>;
/** A release: every slot of a room at one `seq`. */
export type Release = v.InferOutput<typeof ReleaseSchema>;
/** A release and its Ed25519 signature over `canonicalize(release)`. */
export declare const SignedReleaseSchema: v.StrictObjectSchema<{
    readonly release: v.StrictObjectSchema<{
        readonly format: v.LiteralSchema<1, undefined>;
        readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
        readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, undefined>]>;
        readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
        readonly notes: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 2000, undefined>, v.CheckAction<string, "notes have an unpaired surrogate">]>, undefined>;
        readonly createdAt: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
        readonly expiresAt: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
        readonly keyId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid key id">]>;
        readonly slots: v.SchemaWithPipe<readonly [v.RecordSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid slot name">]>, v.VariantSchema<"kind", [v.StrictObjectSchema<{
            readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
            readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, "empty blob">, v.MaxValueAction<number, number, "blob too large">]>;
            readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
            readonly chunkSize: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, number, undefined>, v.MaxValueAction<number, number, undefined>]>;
            readonly chunks: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, v.MinLengthAction<string[], 1, undefined>, v.MaxLengthAction<string[], number, undefined>]>;
            readonly rollout: v.ExactOptionalSchema<v.StrictObjectSchema<{
                readonly percent: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 100, undefined>]>;
            }, undefined>, undefined>;
            readonly kind: v.LiteralSchema<"script", undefined>;
            readonly lang: v.ExactOptionalSchema<v.PicklistSchema<readonly ["js", "python"], undefined>, undefined>;
        }, undefined>, v.StrictObjectSchema<{
            readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
            readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, "empty blob">, v.MaxValueAction<number, number, "blob too large">]>;
            readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
            readonly chunkSize: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, number, undefined>, v.MaxValueAction<number, number, undefined>]>;
            readonly chunks: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, v.MinLengthAction<string[], 1, undefined>, v.MaxLengthAction<string[], number, undefined>]>;
            readonly rollout: v.ExactOptionalSchema<v.StrictObjectSchema<{
                readonly percent: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 100, undefined>]>;
            }, undefined>, undefined>;
            readonly kind: v.LiteralSchema<"texture", undefined>;
            readonly mime: v.PicklistSchema<readonly ["image/png", "image/jpeg", "image/webp"], undefined>;
        }, undefined>, v.StrictObjectSchema<{
            readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
            readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, "empty blob">, v.MaxValueAction<number, number, "blob too large">]>;
            readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
            readonly chunkSize: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, number, undefined>, v.MaxValueAction<number, number, undefined>]>;
            readonly chunks: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, v.MinLengthAction<string[], 1, undefined>, v.MaxLengthAction<string[], number, undefined>]>;
            readonly rollout: v.ExactOptionalSchema<v.StrictObjectSchema<{
                readonly percent: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 100, undefined>]>;
            }, undefined>, undefined>;
            readonly kind: v.LiteralSchema<"config", undefined>;
        }, undefined>], undefined>, undefined>, v.CheckAction<{
            [x: string]: {
                sha256: string;
                size: number;
                version: string;
                chunkSize: number;
                chunks: string[];
                rollout?: {
                    percent: number;
                };
                kind: "script";
                lang?: "js" | "python";
            } | {
                sha256: string;
                size: number;
                version: string;
                chunkSize: number;
                chunks: string[];
                rollout?: {
                    percent: number;
                };
                kind: "texture";
                mime: "image/png" | "image/jpeg" | "image/webp";
            } | {
                sha256: string;
                size: number;
                version: string;
                chunkSize: number;
                chunks: string[];
                rollout?: {
                    percent: number;
                };
                kind: "config";
            };
        }, "more than 16 slots">]>;
    }, undefined>;
    readonly sig: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid signature">]>;
}, undefined>;
/** A release with its signature. */
export type SignedRelease = v.InferOutput<typeof SignedReleaseSchema>;
/** Validates the structure of a signed release (not its signature: see `acceptRelease`). */
export declare const parseSignedRelease: import("./validate.js").Validator<{
    release: {
        format: 1;
        room: string;
        seq: number;
        version: string;
        notes?: string;
        createdAt: string;
        expiresAt: string;
        keyId: string;
        slots: {
            [x: string]: {
                sha256: string;
                size: number;
                version: string;
                chunkSize: number;
                chunks: string[];
                rollout?: {
                    percent: number;
                };
                kind: "script";
                lang?: "js" | "python";
            } | {
                sha256: string;
                size: number;
                version: string;
                chunkSize: number;
                chunks: string[];
                rollout?: {
                    percent: number;
                };
                kind: "texture";
                mime: "image/png" | "image/jpeg" | "image/webp";
            } | {
                sha256: string;
                size: number;
                version: string;
                chunkSize: number;
                chunks: string[];
                rollout?: {
                    percent: number;
                };
                kind: "config";
            };
        };
    };
    sig: string;
}, "BAD_RELEASE">;
/** Signs a release with a room key. The key id in the release must be the key's. */
export declare function signRelease(release: Release, key: SigningKey): Promise<SignedRelease>;
/** Verifies a signed release's signature under one public key (base64url). */
export declare function verifyReleaseSignature(signed: SignedRelease, publicKey: string): Promise<boolean>;
/** The names of slots whose content differs between two releases (added, removed or changed). */
export declare function changedSlots(previous: Release | null, next: Release): string[];
