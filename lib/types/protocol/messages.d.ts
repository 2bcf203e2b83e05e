/**
 * The messages of the relay channels (WebSocket and framed TCP) and of the swarm: one schema and one
 * validator per message, and the union of them all. Every message is a JSON object with a `type`.
 */
import * as v from 'valibot';
import { ErrorCode, type Result } from './errors.js';
import { type Validator } from './validate.js';
import { type SigningKey } from './crypto.js';
/** Version of this message set, sent in `hello`. */
export declare const PROTOCOL_VERSION = 1;
/** Message kinds. */
export declare const MessageType: {
    readonly hello: "hello";
    readonly welcome: "welcome";
    readonly release: "release";
    readonly blobGet: "blob.get";
    readonly blob: "blob";
    readonly blobDefer: "blob.defer";
    readonly peersGet: "peers.get";
    readonly peers: "peers";
    readonly heartbeat: "heartbeat";
    readonly ack: "ack";
    readonly roster: "roster";
    readonly rosterAuth: "roster.auth";
    readonly error: "error";
};
/** One of {@link MessageType}. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];
/** Who is on the other end of a connection. */
export declare const Role: {
    readonly player: "player";
    readonly admin: "admin";
    readonly cli: "cli";
};
/** One of {@link Role}. */
export type Role = (typeof Role)[keyof typeof Role];
/** How a client reaches the relay (or a peer): shown in the roster. */
export declare const Transport: {
    readonly ws: "ws";
    readonly tcp: "tcp";
    readonly seedTcp: "seed-tcp";
    readonly peer: "peer";
};
/** One of {@link Transport}. */
export type Transport = (typeof Transport)[keyof typeof Transport];
/** Free text a client reports (platform, an error): bounded, stored and shown as text only. */
export declare const ClientText: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>;
/** A client id: letters, digits, `-`, `_`, `.`, `:`, up to 64. */
export declare const ClientId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid client id">]>;
/** A client's secret: 22 to 86 base64url characters (at least 128 bits). */
export declare const ClientSecret: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid client secret">]>;
/** What a client holds of one slot. */
export declare const HeldSlotSchema: v.ObjectSchema<{
    readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
}, undefined>;
/** What a client holds of one slot. */
export type HeldSlot = v.InferOutput<typeof HeldSlotSchema>;
/** Delivery counters a client reports (swarm accounting). */
export declare const TrafficSchema: v.ObjectSchema<{
    readonly bytesFromRelay: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly bytesFromPeers: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly peers: v.SchemaWithPipe<readonly [v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>, v.MaxValueAction<number, 1000, undefined>]>;
}, undefined>;
/** Delivery counters. */
export type Traffic = v.InferOutput<typeof TrafficSchema>;
/** Client → relay, first message: who it is and what it holds. */
export declare const HelloSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"hello", undefined>;
    readonly v: v.LiteralSchema<1, undefined>;
    readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
    readonly role: v.PicklistSchema<("player" | "admin" | "cli")[], undefined>;
    readonly clientId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid client id">]>;
    readonly platform: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>, undefined>;
    /** The seq of the release the client holds (0 for none). */
    readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly slots: v.ExactOptionalSchema<v.RecordSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid slot name">]>, v.ObjectSchema<{
        readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
        readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    }, undefined>, undefined>, undefined>;
    /** The client's PeerJS id, when it takes part in the swarm (say it after PeerJS opened it). */
    readonly peerId: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid client id">]>, undefined>;
    /**
     * A random secret only this client holds (it keeps it with its client id): the relay binds the
     * client id to it, and gives the id to a later hello only if it says the same secret.
     */
    readonly clientSecret: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid client secret">]>, undefined>;
}, undefined>;
/** `hello`. */
export type Hello = v.InferOutput<typeof HelloSchema>;
/** A roster challenge nonce: 43 base64url characters (32 random bytes). */
export declare const RosterNonce: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid nonce">]>;
/** Relay → client, answer to `hello`. */
export declare const WelcomeSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"welcome", undefined>;
    readonly clientId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid client id">]>;
    readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
    /** Seq of the relay's latest release for the room (0 for none). */
    readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly heartbeatMs: v.SchemaWithPipe<readonly [v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>, v.MinValueAction<number, 100, undefined>]>;
    readonly maxFrameBytes: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly serverTime: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
    /** Other swarm members of the room the client may connect to (PeerJS ids). */
    readonly peers: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid client id">]>, undefined>, v.MaxLengthAction<string[], 64, undefined>]>, undefined>;
    /**
     * To an admin: the nonce it signs with a room key (`roster.auth`) before the relay shows it the
     * room's roster.
     */
    readonly challenge: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid nonce">]>, undefined>;
}, undefined>;
/** `welcome`. */
export type Welcome = v.InferOutput<typeof WelcomeSchema>;
/** A signed release, announced by the relay or passed on by a peer. */
export declare const ReleaseMessageSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"release", undefined>;
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
/** `release`. */
export type ReleaseMessage = v.InferOutput<typeof ReleaseMessageSchema>;
/** Asks for `count` chunks of a blob starting at chunk `from`. */
export declare const BlobGetSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"blob.get", undefined>;
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly from: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly count: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 1, undefined>, v.MaxValueAction<number, 256, undefined>]>;
    /** The client has swarm peers: the relay may answer `blob.defer` ("get it from them") instead. */
    readonly defer: v.ExactOptionalSchema<v.BooleanSchema<undefined>, undefined>;
}, undefined>;
/** `blob.get`. */
export type BlobGet = v.InferOutput<typeof BlobGetSchema>;
/** One chunk of a blob, base64 (JSON channels only; the swarm sends chunks as binary). */
export declare const BlobSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"blob", undefined>;
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly index: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly data: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, number, undefined>]>;
}, undefined>;
/** `blob`. */
export type BlobMessage = v.InferOutput<typeof BlobSchema>;
/**
 * Relay → client: "your peers can give you this chunk; ask me again after `retryAfterMs` if they
 * don't". Only ever sent for a `blob.get` with `defer: true`.
 */
export declare const BlobDeferSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"blob.defer", undefined>;
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly index: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly retryAfterMs: v.SchemaWithPipe<readonly [v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>, v.MaxValueAction<number, 60000, undefined>]>;
}, undefined>;
/** `blob.defer`. */
export type BlobDefer = v.InferOutput<typeof BlobDeferSchema>;
/** Client → relay: asks for swarm members of its room to connect to. */
export declare const PeersGetSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"peers.get", undefined>;
}, undefined>;
/** `peers.get`. */
export type PeersGet = v.InferOutput<typeof PeersGetSchema>;
/** Relay → client: PeerJS ids of other swarm members of the room (a random sample). */
export declare const PeersSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"peers", undefined>;
    readonly peers: v.SchemaWithPipe<readonly [v.ArraySchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid client id">]>, undefined>, v.MaxLengthAction<string[], 64, undefined>]>;
}, undefined>;
/** `peers`. */
export type PeersMessage = v.InferOutput<typeof PeersSchema>;
/** Keep-alive, with the client's delivery counters. */
export declare const HeartbeatSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"heartbeat", undefined>;
    readonly t: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.FiniteAction<number, undefined>]>, undefined>;
    readonly traffic: v.ExactOptionalSchema<v.ObjectSchema<{
        readonly bytesFromRelay: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
        readonly bytesFromPeers: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
        readonly peers: v.SchemaWithPipe<readonly [v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>, v.MaxValueAction<number, 1000, undefined>]>;
    }, undefined>, undefined>;
}, undefined>;
/** `heartbeat`. */
export type Heartbeat = v.InferOutput<typeof HeartbeatSchema>;
/** Outcome of applying one slot. */
export declare const AckStatus: {
    readonly applied: "applied";
    readonly failed: "failed";
    readonly skipped: "skipped";
};
/** One of {@link AckStatus}. */
export type AckStatus = (typeof AckStatus)[keyof typeof AckStatus];
/** Client → relay: the outcome of applying one slot of a release. */
export declare const AckSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"ack", undefined>;
    readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly slot: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid slot name">]>;
    readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
    readonly sha256: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>;
    readonly status: v.PicklistSchema<("applied" | "failed" | "skipped")[], undefined>;
    readonly error: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>, undefined>;
}, undefined>;
/** `ack`. */
export type Ack = v.InferOutput<typeof AckSchema>;
/** What the roster knows of one slot of one client. */
export declare const RosterSlotSchema: v.ObjectSchema<{
    readonly version: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MinLengthAction<string, 1, "empty version">, v.MaxLengthAction<string, 64, "version too long">, v.RegexAction<string, "version has control characters">, v.CheckAction<string, "version has an unpaired surrogate">]>;
    readonly sha256: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid sha256">]>, undefined>;
    readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly status: v.PicklistSchema<("applied" | "failed" | "skipped")[], undefined>;
    readonly error: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>, undefined>;
}, undefined>;
/** A roster slot. */
export type RosterSlot = v.InferOutput<typeof RosterSlotSchema>;
/** One client in the roster. */
export declare const RosterClientSchema: v.ObjectSchema<{
    readonly clientId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid client id">]>;
    readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
    readonly role: v.PicklistSchema<("player" | "admin" | "cli")[], undefined>;
    readonly transport: v.PicklistSchema<("ws" | "tcp" | "seed-tcp" | "peer")[], undefined>;
    readonly platform: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>;
    readonly address: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>;
    readonly connectedAt: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
    readonly lastHeartbeat: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
    /** Seq of the release the client last reported holding. */
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
}, undefined>;
/** A roster entry. */
export type RosterClient = v.InferOutput<typeof RosterClientSchema>;
/** Relay → admins: the whole roster of a room (sent on change, throttled). */
export declare const RosterSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"roster", undefined>;
    readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
    readonly seq: v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.SafeIntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>]>;
    readonly at: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
    readonly clients: v.ArraySchema<v.ObjectSchema<{
        readonly clientId: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid client id">]>;
        readonly room: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid room name">]>;
        readonly role: v.PicklistSchema<("player" | "admin" | "cli")[], undefined>;
        readonly transport: v.PicklistSchema<("ws" | "tcp" | "seed-tcp" | "peer")[], undefined>;
        readonly platform: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>;
        readonly address: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>;
        readonly connectedAt: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
        readonly lastHeartbeat: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid timestamp">, v.CheckAction<string, "invalid timestamp">]>;
        /** Seq of the release the client last reported holding. */
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
/** `roster`. */
export type Roster = v.InferOutput<typeof RosterSchema>;
/**
 * Admin → relay: proof of a room key, answering the welcome's `challenge`: an Ed25519 signature by
 * one of the room's trusted keys over {@link rosterChallengeBytes}.
 */
export declare const RosterAuthSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"roster.auth", undefined>;
    readonly publicKey: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid public key">]>;
    readonly sig: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "invalid signature">]>;
}, undefined>;
/** `roster.auth`. */
export type RosterAuth = v.InferOutput<typeof RosterAuthSchema>;
/** The bytes an admin signs to see a room's roster: `patchcast-roster|<room>|<nonce>`. */
export declare function rosterChallengeBytes(room: string, nonce: string): Uint8Array;
/** The `roster.auth` answer to a challenge, signed with a room key. */
export declare function signRosterChallenge(key: SigningKey, room: string, nonce: string): Promise<RosterAuth>;
/** Either way: something was refused. `fatal` means the sender closes the connection next. */
export declare const ErrorMessageSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"error", undefined>;
    readonly code: v.PicklistSchema<("FRAME_TOO_LARGE" | "FRAME_TRUNCATED" | "BAD_UTF8" | "BAD_JSON" | "BAD_MESSAGE" | "UNKNOWN_TYPE" | "BAD_RELEASE" | "WRONG_ROOM" | "UNKNOWN_KEY" | "BAD_SIGNATURE" | "STALE_SEQ" | "EXPIRED" | "FROM_FUTURE" | "BAD_SLOT" | "HASH_MISMATCH" | "BLOB_MISSING" | "TOO_LARGE" | "BAD_IMAGE" | "BAD_CONFIG" | "BAD_SCRIPT" | "UPLOAD_NOT_EXPECTED" | "QUOTA_EXCEEDED" | "UNSUPPORTED_ENCODING" | "OPERATOR_REQUIRED" | "NO_SEED_ROOM" | "HELLO_REQUIRED" | "HELLO_TIMEOUT" | "HEARTBEAT_TIMEOUT" | "TOO_SLOW" | "REQUEST_TIMEOUT" | "TOO_MANY_CONNECTIONS" | "NO_SUCH_ROOM" | "ROOM_QUARANTINED" | "FORBIDDEN" | "NOT_AUTHORIZED" | "PEER_ID_REFUSED" | "SERVER_SHUTDOWN" | "INTERNAL")[], undefined>;
    readonly message: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>;
    readonly fatal: v.ExactOptionalSchema<v.BooleanSchema<undefined>, undefined>;
}, undefined>;
/** `error`. */
export type ErrorMessage = v.InferOutput<typeof ErrorMessageSchema>;
/** Any message of the relay and swarm channels. */
export type Message = Hello | Welcome | ReleaseMessage | BlobGet | BlobMessage | BlobDefer | PeersGet | PeersMessage | Heartbeat | Ack | Roster | RosterAuth | ErrorMessage;
/** The message of a given type. */
export type MessageOf<T extends MessageType> = Extract<Message, {
    type: T;
}>;
/** One validator per message type. */
export declare const messageValidators: {
    readonly [T in MessageType]: Validator<MessageOf<T>>;
};
/** Validates any message: dispatches on `type`, then applies that message's validator. */
export declare function parseMessage(input: unknown): Result<Message>;
/** Builds an `error` message (message text truncated to the wire limit). */
export declare function errorMessage(code: ErrorCode, message: string, fatal?: boolean): ErrorMessage;
