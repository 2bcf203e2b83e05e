/**
 * The relay's HTTP API: paths, request bodies and answers, one schema and one validator each, shared
 * by the relay (which parses requests), the CLI and the admin site (which parse answers). JSON bodies
 * only; blobs travel as standard base64 inside a publish, or raw through `PUT /api/blobs/:sha256`.
 */
import * as v from 'valibot';
import { ErrorCode } from './errors.js';
/** Paths of the HTTP API, relative to the relay's origin. */
export declare const ApiPath: {
    /** `POST` a release; `GET` the history, newest first. */
    readonly releases: (room: string) => string;
    /** `GET` the latest signed release (404 `NO_SUCH_ROOM` when there is none). */
    readonly release: (room: string) => string;
    /** `GET` the roster. */
    readonly clients: (room: string) => string;
    /** `GET` trusted keys and rotation records; `POST` a signed rotation record. */
    readonly keys: (room: string) => string;
    /** `GET` the rooms the relay knows. */
    readonly rooms: () => string;
    /** `GET` or `PUT` one blob's raw bytes. */
    readonly blob: (sha256: string) => string;
    readonly health: () => string;
    readonly metrics: () => string;
};
/** Standard base64 with padding, as `btoa` and `Buffer#toString('base64')` write it. */
export declare const Base64Text: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.CheckAction<string, "base64 length is not a multiple of 4">, v.RegexAction<string, "invalid base64">]>;
/**
 * `POST /api/rooms/:room/releases`. `signed` stays `unknown` here on purpose: `acceptRelease` is the
 * one place that decides about a release, with its own refusal codes. `publicKey` is only read when
 * the room does not exist yet: the first release creates the room and its key becomes the room key.
 */
export declare const PublishBodySchema: v.ObjectSchema<{
    readonly signed: v.UnknownSchema;
    /** Blobs the relay lacks: SHA-256 hex → standard base64 of the bytes. */
    readonly blobs: v.ExactOptionalSchema<v.RecordSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.CheckAction<string, "base64 length is not a multiple of 4">, v.RegexAction<string, "invalid base64">]>, undefined>, undefined>;
    readonly publicKey: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid public key">]>, undefined>;
}, undefined>;
/** A publish request body. */
export type PublishBody = v.InferOutput<typeof PublishBodySchema>;
/** Validates a publish request body. */
export declare const parsePublishBody: import("./validate.js").Validator<{
    signed: unknown;
    blobs?: {
        [x: string]: string;
    };
    publicKey?: string;
}, "BAD_MESSAGE">;
/** 201 answer to a publish. */
export declare const PublishedSchema: v.ObjectSchema<{
    readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
    readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
}, undefined>;
/** A publish answer. */
export type Published = v.InferOutput<typeof PublishedSchema>;
/** Validates a publish answer. */
export declare const parsePublished: import("./validate.js").Validator<{
    room: string;
    seq: number;
    version: string;
}, "BAD_MESSAGE">;
/** Every 4xx/5xx answer: a code from {@link ErrorCode}, words for people, and missing blobs if any. */
export declare const ErrorBodySchema: v.ObjectSchema<{
    readonly error: v.ObjectSchema<{
        readonly code: v.PicklistSchema<("FRAME_TOO_LARGE" | "FRAME_TRUNCATED" | "BAD_UTF8" | "BAD_JSON" | "BAD_MESSAGE" | "UNKNOWN_TYPE" | "BAD_RELEASE" | "WRONG_ROOM" | "UNKNOWN_KEY" | "BAD_SIGNATURE" | "STALE_SEQ" | "EXPIRED" | "FROM_FUTURE" | "BAD_SLOT" | "HASH_MISMATCH" | "BLOB_MISSING" | "TOO_LARGE" | "BAD_IMAGE" | "BAD_CONFIG" | "BAD_SCRIPT" | "UPLOAD_NOT_EXPECTED" | "QUOTA_EXCEEDED" | "UNSUPPORTED_ENCODING" | "OPERATOR_REQUIRED" | "NO_SEED_ROOM" | "HELLO_REQUIRED" | "HELLO_TIMEOUT" | "HEARTBEAT_TIMEOUT" | "TOO_SLOW" | "REQUEST_TIMEOUT" | "TOO_MANY_CONNECTIONS" | "NO_SUCH_ROOM" | "ROOM_QUARANTINED" | "FORBIDDEN" | "NOT_AUTHORIZED" | "PEER_ID_REFUSED" | "SERVER_SHUTDOWN" | "INTERNAL")[], undefined>;
        readonly message: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 4000, undefined>]>;
        readonly missing: v.ExactOptionalSchema<v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>, undefined>;
    }, undefined>;
}, undefined>;
/** An error answer. */
export type ErrorBody = v.InferOutput<typeof ErrorBodySchema>;
/** Validates an error answer. */
export declare const parseErrorBody: import("./validate.js").Validator<{
    error: {
        code: "FRAME_TOO_LARGE" | "FRAME_TRUNCATED" | "BAD_UTF8" | "BAD_JSON" | "BAD_MESSAGE" | "UNKNOWN_TYPE" | "BAD_RELEASE" | "WRONG_ROOM" | "UNKNOWN_KEY" | "BAD_SIGNATURE" | "STALE_SEQ" | "EXPIRED" | "FROM_FUTURE" | "BAD_SLOT" | "HASH_MISMATCH" | "BLOB_MISSING" | "TOO_LARGE" | "BAD_IMAGE" | "BAD_CONFIG" | "BAD_SCRIPT" | "UPLOAD_NOT_EXPECTED" | "QUOTA_EXCEEDED" | "UNSUPPORTED_ENCODING" | "OPERATOR_REQUIRED" | "NO_SEED_ROOM" | "HELLO_REQUIRED" | "HELLO_TIMEOUT" | "HEARTBEAT_TIMEOUT" | "TOO_SLOW" | "REQUEST_TIMEOUT" | "TOO_MANY_CONNECTIONS" | "NO_SUCH_ROOM" | "ROOM_QUARANTINED" | "FORBIDDEN" | "NOT_AUTHORIZED" | "PEER_ID_REFUSED" | "SERVER_SHUTDOWN" | "INTERNAL";
        message: string;
        missing?: string[];
    };
}, "BAD_MESSAGE">;
/** Builds an error answer body. */
export declare function errorBody(code: ErrorCode, message: string, missing?: readonly string[]): ErrorBody;
/**
 * `GET /api/rooms/:room/releases`: every release the relay keeps, newest first, and the highest seq
 * it ever accepted in the room (`lastSeq`: above the newest release's when that one's file was lost).
 * A publisher's next seq must be above `lastSeq`.
 */
export declare const HistoryBodySchema: v.ObjectSchema<{
    readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
    readonly releases: v.ArraySchema<v.StrictObjectSchema<{
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
    }, undefined>, undefined>;
    readonly lastSeq: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>, undefined>;
}, undefined>;
/** A history answer. */
export type HistoryBody = v.InferOutput<typeof HistoryBodySchema>;
/** Validates a history answer. */
export declare const parseHistoryBody: import("./validate.js").Validator<{
    room: string;
    releases: {
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
    }[];
    lastSeq?: number;
}, "BAD_MESSAGE">;
/**
 * `GET /api/rooms/:room/clients`: how many clients a room has. Per-client entries (ids, addresses)
 * are only for admins that proved a room key over `/ws`; here `clients` is always empty.
 */
export declare const RosterBodySchema: v.ObjectSchema<{
    readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
    readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly at: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
    readonly count: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>, undefined>;
    readonly clients: v.ArraySchema<v.ObjectSchema<{
        readonly clientId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid client id">]>;
        readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
        readonly role: v.PicklistSchema<("player" | "admin" | "cli")[], undefined>;
        readonly transport: v.PicklistSchema<("ws" | "tcp" | "seed-tcp" | "peer")[], undefined>;
        readonly platform: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>;
        readonly address: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>;
        readonly connectedAt: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
        readonly lastHeartbeat: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
        readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
        readonly slots: v.RecordSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid slot name">]>, v.ObjectSchema<{
            readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
            readonly sha256: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>;
            readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
            readonly status: v.PicklistSchema<("applied" | "failed" | "skipped")[], undefined>;
            readonly error: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>, undefined>;
        }, undefined>, undefined>;
        readonly lastAck: v.ExactOptionalSchema<v.ObjectSchema<{
            readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
            readonly slot: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid slot name">]>;
            readonly status: v.PicklistSchema<("applied" | "failed" | "skipped")[], undefined>;
            readonly error: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>, undefined>;
            readonly at: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
        }, undefined>, undefined>;
        readonly traffic: v.ObjectSchema<{
            readonly bytesFromRelay: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
            readonly bytesFromPeers: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
            readonly peers: v.SchemaWithPipe<readonly [v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>, v.MaxValueAction<number, 1000, undefined>]>;
        }, undefined>;
    }, undefined>, undefined>;
}, undefined>;
/** A roster answer. */
export type RosterBody = v.InferOutput<typeof RosterBodySchema>;
/** Validates a roster answer. */
export declare const parseRosterBody: import("./validate.js").Validator<{
    room: string;
    seq: number;
    at: string;
    count?: number;
    clients: {
        clientId: string;
        room: string;
        role: "player" | "admin" | "cli";
        transport: "ws" | "tcp" | "seed-tcp" | "peer";
        platform: string;
        address: string;
        connectedAt: string;
        lastHeartbeat: string;
        seq: number;
        slots: {
            [x: string]: {
                version: string;
                sha256?: string;
                seq: number;
                status: "applied" | "failed" | "skipped";
                error?: string;
            };
        };
        lastAck?: {
            seq: number;
            slot: string;
            status: "applied" | "failed" | "skipped";
            error?: string;
            at: string;
        };
        traffic: {
            bytesFromRelay: number;
            bytesFromPeers: number;
            peers: number;
        };
    }[];
}, "BAD_MESSAGE">;
/** One trusted key of a room. */
export declare const TrustedKeySchema: v.ObjectSchema<{
    readonly keyId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid key id">]>;
    readonly publicKey: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid public key">]>;
}, undefined>;
/**
 * `GET /api/rooms/:room/keys`: what the relay trusts, and the signed rotation records that led there,
 * so a player that pinned an older key can follow the chain with `extendTrust` (never trusting the
 * relay's list itself).
 */
export declare const KeysBodySchema: v.ObjectSchema<{
    readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
    readonly keys: v.ArraySchema<v.ObjectSchema<{
        readonly keyId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid key id">]>;
        readonly publicKey: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid public key">]>;
    }, undefined>, undefined>;
    readonly rotations: v.ArraySchema<v.StrictObjectSchema<{
        readonly rotation: v.StrictObjectSchema<{
            readonly format: v.LiteralSchema<1, undefined>;
            readonly kind: v.LiteralSchema<"key-rotation", undefined>;
            readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
            readonly newKey: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid public key">]>;
            readonly newKeyId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid key id">]>;
            readonly createdAt: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
            readonly keyId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid key id">]>;
        }, undefined>;
        readonly sig: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid signature">]>;
    }, undefined>, undefined>;
}, undefined>;
/** A keys answer. */
export type KeysBody = v.InferOutput<typeof KeysBodySchema>;
/** Validates a keys answer. */
export declare const parseKeysBody: import("./validate.js").Validator<{
    room: string;
    keys: {
        keyId: string;
        publicKey: string;
    }[];
    rotations: {
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
    }[];
}, "BAD_MESSAGE">;
/** `PUT /api/blobs/:sha256` answer: `stored` is false when the relay had the blob already. */
export declare const BlobPutAnswerSchema: v.ObjectSchema<{
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly size: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly stored: v.BooleanSchema<undefined>;
}, undefined>;
/** A blob upload answer. */
export type BlobPutAnswer = v.InferOutput<typeof BlobPutAnswerSchema>;
/** Validates a blob upload answer. */
export declare const parseBlobPutAnswer: import("./validate.js").Validator<{
    sha256: string;
    size: number;
    stored: boolean;
}, "BAD_MESSAGE">;
/**
 * One room in `GET /api/rooms`. `lastSeq`: the highest seq the relay ever accepted there (a
 * publisher goes above it); `degraded`: what is missing from the relay's data dir for this room (a
 * blob, a lost release), when anything is.
 */
export declare const RoomSummarySchema: v.ObjectSchema<{
    readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
    readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly version: v.NullableSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>, undefined>;
    readonly updatedAt: v.NullableSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>, undefined>;
    readonly clients: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly keys: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly lastSeq: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>, undefined>;
    readonly degraded: v.ExactOptionalSchema<v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 4000, undefined>]>, undefined>, undefined>;
}, undefined>;
/** A room summary. */
export type RoomSummary = v.InferOutput<typeof RoomSummarySchema>;
/**
 * `GET /api/rooms`. `quarantined`: rooms whose files the relay found damaged at start; it serves
 * nothing and accepts nothing for them (`ROOM_QUARANTINED`) until its operator repairs them.
 */
export declare const RoomsBodySchema: v.ObjectSchema<{
    readonly rooms: v.ArraySchema<v.ObjectSchema<{
        readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
        readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
        readonly version: v.NullableSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>, undefined>;
        readonly updatedAt: v.NullableSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>, undefined>;
        readonly clients: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
        readonly keys: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
        readonly lastSeq: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>, undefined>;
        readonly degraded: v.ExactOptionalSchema<v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 4000, undefined>]>, undefined>, undefined>;
    }, undefined>, undefined>;
    readonly quarantined: v.ExactOptionalSchema<v.ArraySchema<v.ObjectSchema<{
        readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
        readonly reason: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 4000, undefined>]>;
    }, undefined>, undefined>, undefined>;
}, undefined>;
/** A rooms answer. */
export type RoomsBody = v.InferOutput<typeof RoomsBodySchema>;
/** Validates a rooms answer. */
export declare const parseRoomsBody: import("./validate.js").Validator<{
    rooms: {
        room: string;
        seq: number;
        version: string | null;
        updatedAt: string | null;
        clients: number;
        keys: number;
        lastSeq?: number;
        degraded?: string[];
    }[];
    quarantined?: {
        room: string;
        reason: string;
    }[];
}, "BAD_MESSAGE">;
