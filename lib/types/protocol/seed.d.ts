/**
 * The seed protocol (the TCP protocol of the original Python system, `hot-update-blog.txt`), spoken on the TCP port so that clients of the old
 * server keep working: an unframed `client_info` hello, then framed `initial_config` / `hot_update`
 * from the server and framed `heartbeat` / `ack_update` from the client.
 */
import * as v from 'valibot';
import { type Result } from './errors.js';
import { type Validator } from './validate.js';
/**
 * How often a seed client sends `heartbeat` (the seed's Pygame client beats every 10 s, whatever the
 * server says: the seed protocol has no way to tell it otherwise).
 */
export declare const SEED_HEARTBEAT_INTERVAL_MS = 10000;
/** Seed message kinds. */
export declare const SeedType: {
    readonly clientInfo: "client_info";
    readonly initialConfig: "initial_config";
    readonly hotUpdate: "hot_update";
    readonly heartbeat: "heartbeat";
    readonly ackUpdate: "ack_update";
};
/** One of {@link SeedType}. */
export type SeedType = (typeof SeedType)[keyof typeof SeedType];
/** The seed's two update types. */
export declare const SeedUpdateType: {
    readonly script: "script_logic";
    readonly background: "background_config";
};
/** One of {@link SeedUpdateType}. */
export type SeedUpdateType = (typeof SeedUpdateType)[keyof typeof SeedUpdateType];
/** Client → server, unframed first message. */
export declare const ClientInfoSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"client_info", undefined>;
    readonly version: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>, undefined>;
    readonly platform: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>, undefined>;
}, undefined>;
/** `client_info`. */
export type ClientInfo = v.InferOutput<typeof ClientInfoSchema>;
/** The seed's `script_logic` config: Python source defining `update_ball_position`. */
export declare const SeedScriptConfigSchema: v.ObjectSchema<{
    readonly version: v.StringSchema<undefined>;
    readonly last_update: v.StringSchema<undefined>;
    readonly content: v.StringSchema<undefined>;
    readonly enabled: v.BooleanSchema<undefined>;
}, undefined>;
/** `script_logic` config. */
export type SeedScriptConfig = v.InferOutput<typeof SeedScriptConfigSchema>;
/** The seed's `background_config`: an RGB colour and an optional base64 image. */
export declare const SeedBackgroundConfigSchema: v.ObjectSchema<{
    readonly version: v.StringSchema<undefined>;
    readonly last_update: v.StringSchema<undefined>;
    readonly background_color: v.TupleSchema<[v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.IntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 255, undefined>]>, v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.IntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 255, undefined>]>, v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.IntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 255, undefined>]>], undefined>;
    readonly background_image: v.NullableSchema<v.StringSchema<undefined>, undefined>;
    readonly enabled: v.BooleanSchema<undefined>;
}, undefined>;
/** `background_config`. */
export type SeedBackgroundConfig = v.InferOutput<typeof SeedBackgroundConfigSchema>;
/** Server → client, first frame. */
export declare const InitialConfigSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"initial_config", undefined>;
    readonly script_logic: v.ObjectSchema<{
        readonly version: v.StringSchema<undefined>;
        readonly last_update: v.StringSchema<undefined>;
        readonly content: v.StringSchema<undefined>;
        readonly enabled: v.BooleanSchema<undefined>;
    }, undefined>;
    readonly background_config: v.ObjectSchema<{
        readonly version: v.StringSchema<undefined>;
        readonly last_update: v.StringSchema<undefined>;
        readonly background_color: v.TupleSchema<[v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.IntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 255, undefined>]>, v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.IntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 255, undefined>]>, v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.IntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 255, undefined>]>], undefined>;
        readonly background_image: v.NullableSchema<v.StringSchema<undefined>, undefined>;
        readonly enabled: v.BooleanSchema<undefined>;
    }, undefined>;
}, undefined>;
/** `initial_config`. */
export type InitialConfig = v.InferOutput<typeof InitialConfigSchema>;
/** Server → client: one changed config. */
export declare const HotUpdateSchema: v.VariantSchema<"update_type", [v.ObjectSchema<{
    readonly type: v.LiteralSchema<"hot_update", undefined>;
    readonly update_type: v.LiteralSchema<"script_logic", undefined>;
    readonly config: v.ObjectSchema<{
        readonly version: v.StringSchema<undefined>;
        readonly last_update: v.StringSchema<undefined>;
        readonly content: v.StringSchema<undefined>;
        readonly enabled: v.BooleanSchema<undefined>;
    }, undefined>;
    readonly timestamp: v.NumberSchema<undefined>;
}, undefined>, v.ObjectSchema<{
    readonly type: v.LiteralSchema<"hot_update", undefined>;
    readonly update_type: v.LiteralSchema<"background_config", undefined>;
    readonly config: v.ObjectSchema<{
        readonly version: v.StringSchema<undefined>;
        readonly last_update: v.StringSchema<undefined>;
        readonly background_color: v.TupleSchema<[v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.IntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 255, undefined>]>, v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.IntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 255, undefined>]>, v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.IntegerAction<number, undefined>, v.MinValueAction<number, 0, undefined>, v.MaxValueAction<number, 255, undefined>]>], undefined>;
        readonly background_image: v.NullableSchema<v.StringSchema<undefined>, undefined>;
        readonly enabled: v.BooleanSchema<undefined>;
    }, undefined>;
    readonly timestamp: v.NumberSchema<undefined>;
}, undefined>], undefined>;
/** `hot_update`. */
export type HotUpdate = v.InferOutput<typeof HotUpdateSchema>;
/** Client → server keep-alive. */
export declare const SeedHeartbeatSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"heartbeat", undefined>;
    readonly timestamp: v.ExactOptionalSchema<v.NumberSchema<undefined>, undefined>;
}, undefined>;
/** Seed `heartbeat`. */
export type SeedHeartbeat = v.InferOutput<typeof SeedHeartbeatSchema>;
/** Client → server: outcome of a `hot_update`. */
export declare const AckUpdateSchema: v.ObjectSchema<{
    readonly type: v.LiteralSchema<"ack_update", undefined>;
    readonly update_type: v.PicklistSchema<["script_logic", "background_config"], undefined>;
    readonly success: v.BooleanSchema<undefined>;
    readonly version: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.MaxLengthAction<string, 1000, undefined>]>, undefined>;
}, undefined>;
/** `ack_update`. */
export type AckUpdate = v.InferOutput<typeof AckUpdateSchema>;
/** Validates the unframed `client_info` hello. */
export declare const parseClientInfo: Validator<ClientInfo>;
/** Validates `initial_config` (for seed-protocol clients written in TypeScript). */
export declare const parseInitialConfig: Validator<InitialConfig>;
/** Validates `hot_update`. */
export declare const parseHotUpdate: Validator<HotUpdate>;
/** A message a seed client sends after its hello. */
export type SeedClientMessage = SeedHeartbeat | AckUpdate;
/** Validates a framed message from a seed client (`heartbeat` or `ack_update`). */
export declare function parseSeedClientMessage(input: unknown): Result<SeedClientMessage>;
/**
 * True when the first byte of a TCP stream starts the seed's unframed JSON hello. A framed stream
 * cannot start with `{` (0x7b): that header would announce a frame of about 2 GB, far over any limit.
 */
export declare function looksLikeSeedHello(firstByte: number): boolean;
/**
 * Finds the end of the top-level JSON object at the start of `bytes` (an unframed hello): the index
 * just past its closing brace, or -1 if the object is not complete yet. Strings and escapes are
 * respected, so braces inside strings don't count.
 */
export declare function scanJsonObjectEnd(bytes: Uint8Array): number;
/** Parses a `#rrggbb` colour into the seed's `[r, g, b]`. */
export declare function hexToRgb(hex: string): [number, number, number];
