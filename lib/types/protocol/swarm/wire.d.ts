/**
 * The swarm's wire: what players say to each other over a data channel. Control messages are JSON
 * text; chunks are binary (never base64), so a 5 MB texture costs 5 MB on the wire.
 */
import * as v from 'valibot';
import { type Result } from '../errors.js';
/** Peer message kinds. */
export declare const PeerMessageType: {
    readonly hello: "peer.hello";
    readonly have: "peer.have";
    readonly release: "peer.release";
    readonly get: "peer.get";
    readonly none: "peer.none";
};
/** One of {@link PeerMessageType}. */
export type PeerMessageType = (typeof PeerMessageType)[keyof typeof PeerMessageType];
/** First message each way on a new link: the seq held and the chunks held. */
export declare const PeerHelloSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"peer.hello", undefined>;
    readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly have: v.SchemaWithPipe<readonly [v.RecordSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 4096, undefined>]>, undefined>, v.CheckAction<{
        [x: string]: string;
    }, "too many blobs">]>;
}, undefined>;
/** `peer.hello`. */
export type PeerHello = v.InferOutput<typeof PeerHelloSchema>;
/** "I now hold chunk `index` of `sha256`" (or, with `all`, every chunk of it). */
export declare const PeerHaveSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"peer.have", undefined>;
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly index: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly all: v.ExactOptionalSchema<v.BooleanSchema<undefined>, undefined>;
}, undefined>;
/** `peer.have`. */
export type PeerHave = v.InferOutput<typeof PeerHaveSchema>;
/** A signed release passed on by a peer that accepted it. */
export declare const PeerReleaseSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"peer.release", undefined>;
    readonly signed: v.StrictObjectSchema<{
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
}, undefined>;
/** `peer.release`. */
export type PeerRelease = v.InferOutput<typeof PeerReleaseSchema>;
/** Asks for one chunk; the answer is a binary chunk frame or `peer.none`. */
export declare const PeerGetSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"peer.get", undefined>;
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly index: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
}, undefined>;
/** `peer.get`. */
export type PeerGet = v.InferOutput<typeof PeerGetSchema>;
/** "I can't give you that chunk now" (don't hold it, or too busy): ask someone else. */
export declare const PeerNoneSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"peer.none", undefined>;
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly index: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
}, undefined>;
/** `peer.none`. */
export type PeerNone = v.InferOutput<typeof PeerNoneSchema>;
/** Any swarm control message. */
export type PeerMessage = PeerHello | PeerHave | PeerRelease | PeerGet | PeerNone;
/** Largest control message accepted from a peer (a release with its chunk lists fits easily). */
export declare const MAX_PEER_TEXT_BYTES: number;
/** Parses a control message (JSON text) from a peer. */
export declare function parsePeerMessage(text: string): Result<PeerMessage>;
/** Serializes a control message. */
export declare function encodePeerMessage(message: PeerMessage): string;
/** Bytes before the payload in a chunk frame. */
export declare const CHUNK_FRAME_HEADER: number;
/** A chunk as it travels between peers. */
export interface ChunkFrame {
    readonly sha256: string;
    readonly index: number;
    readonly bytes: Uint8Array;
}
/** Encodes a chunk as one binary frame. */
export declare function encodeChunkFrame(chunk: ChunkFrame): Uint8Array;
/** Decodes a binary chunk frame; the payload is a view into `data`. */
export declare function decodeChunkFrame(data: Uint8Array): Result<ChunkFrame>;
/** A set of chunk indexes as a compact bitfield (base64), for `peer.hello`. */
export declare function encodeBitfield(indexes: Iterable<number>, count: number): string;
/** Reads a bitfield back into chunk indexes (bits past `count` are ignored). */
export declare function decodeBitfield(text: string, count: number): number[];
