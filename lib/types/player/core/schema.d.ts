/**
 * What the player keeps in IndexedDB, as schemas: everything read back is validated here (and
 * releases and blobs are verified again by the client) before it is used. Nothing is cast.
 */
import * as v from 'valibot';
/** Good contents kept per slot to fall back on (the last one is the one applied). */
export declare const MAX_HISTORY = 4;
/** Blobs remembered as failed (so a bad script isn't tried again on every boot). */
export declare const MAX_FAILED = 32;
/** Rotation records kept. */
export declare const MAX_ROTATIONS = 64;
/** One content a slot held: the release it came from, its label and its blob. */
export declare const HeldEntrySchema: v.StrictObjectSchema<{
    readonly seq: v.SchemaWithPipe<readonly [v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>, v.MinValueAction<number, 1, undefined>]>;
    readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
}, undefined>;
/** See {@link HeldEntrySchema}. */
export type HeldEntry = v.InferOutput<typeof HeldEntrySchema>;
/** The player's state for one room. */
export declare const RoomStateSchema: v.StrictObjectSchema<{
    readonly format: v.LiteralSchema<1, undefined>;
    readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
    /** Seq of the newest release accepted: the rollback floor. */
    readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    /** Per slot, the contents it held, oldest first; the last is applied. */
    readonly held: v.RecordSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid slot name">]>, v.SchemaWithPipe<readonly [v.ArraySchema<v.StrictObjectSchema<{
        readonly seq: v.SchemaWithPipe<readonly [v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>, v.MinValueAction<number, 1, undefined>]>;
        readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
        readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    }, undefined>, undefined>, v.MinLengthAction<{
        seq: number;
        version: string;
        sha256: string;
    }[], 1, undefined>, v.MaxLengthAction<{
        seq: number;
        version: string;
        sha256: string;
    }[], 4, undefined>]>, undefined>;
    /** Blobs that failed to apply, with the error they were acked with. */
    readonly failed: v.SchemaWithPipe<readonly [v.RecordSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>, undefined>, v.CheckAction<{
        [x: string]: string;
    }, "too many failed blobs">]>;
    /** Key rotation records seen for the room (each is verified again when trust is computed). */
    readonly rotations: v.SchemaWithPipe<readonly [v.ArraySchema<v.UnknownSchema, undefined>, v.MaxLengthAction<unknown[], 64, undefined>]>;
}, undefined>;
/** See {@link RoomStateSchema}. */
export type RoomState = v.InferOutput<typeof RoomStateSchema>;
/** Validates a stored room state. */
export declare const parseRoomState: import("../../protocol/validate.js").Validator<{
    format: 1;
    room: string;
    seq: number;
    held: {
        [x: string]: {
            seq: number;
            version: string;
            sha256: string;
        }[];
    };
    failed: {
        [x: string]: string;
    };
    rotations: unknown[];
}, "BAD_MESSAGE">;
/** Validates a stored blob: bytes, nothing else. */
export declare const parseStoredBlob: import("../../protocol/validate.js").Validator<Uint8Array<ArrayBuffer>, "BAD_MESSAGE">;
/** Validates a stored client id. */
export declare const parseStoredClientId: import("../../protocol/validate.js").Validator<string, "BAD_MESSAGE">;
/** An empty state for a room. */
export declare function emptyRoomState(room: string): RoomState;
