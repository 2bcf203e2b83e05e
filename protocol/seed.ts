/**
 * The seed protocol (the TCP protocol of the original Python system, `hot-update-blog.txt`), spoken on the TCP port so that clients of the old
 * server keep working: an unframed `client_info` hello, then framed `initial_config` / `hot_update`
 * from the server and framed `heartbeat` / `ack_update` from the client.
 */
import * as v from 'valibot';
import { ErrorCode, fail, type Result } from './errors.ts';
import { MAX_CLIENT_TEXT_LENGTH } from './limits.ts';
import { validator, type Validator } from './validate.ts';

/**
 * How often a seed client sends `heartbeat` (the seed's Pygame client beats every 10 s, whatever the
 * server says: the seed protocol has no way to tell it otherwise).
 */
export const SEED_HEARTBEAT_INTERVAL_MS = 10_000;

/** Seed message kinds. */
export const SeedType = {
  clientInfo: 'client_info',
  initialConfig: 'initial_config',
  hotUpdate: 'hot_update',
  heartbeat: 'heartbeat',
  ackUpdate: 'ack_update',
} as const;
/** One of {@link SeedType}. */
export type SeedType = (typeof SeedType)[keyof typeof SeedType];

/** The seed's two update types. */
export const SeedUpdateType = { script: 'script_logic', background: 'background_config' } as const;
/** One of {@link SeedUpdateType}. */
export type SeedUpdateType = (typeof SeedUpdateType)[keyof typeof SeedUpdateType];

const Text = v.pipe(v.string(), v.maxLength(MAX_CLIENT_TEXT_LENGTH));
const Rgb = v.tuple([
  v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(255)),
  v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(255)),
  v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(255)),
]);

/** Client → server, unframed first message. */
export const ClientInfoSchema = v.object({
  type: v.literal(SeedType.clientInfo),
  version: v.exactOptional(Text),
  platform: v.exactOptional(Text),
});
/** `client_info`. */
export type ClientInfo = v.InferOutput<typeof ClientInfoSchema>;

/** The seed's `script_logic` config: Python source defining `update_ball_position`. */
export const SeedScriptConfigSchema = v.object({
  version: v.string(),
  last_update: v.string(),
  content: v.string(),
  enabled: v.boolean(),
});
/** `script_logic` config. */
export type SeedScriptConfig = v.InferOutput<typeof SeedScriptConfigSchema>;

/** The seed's `background_config`: an RGB colour and an optional base64 image. */
export const SeedBackgroundConfigSchema = v.object({
  version: v.string(),
  last_update: v.string(),
  background_color: Rgb,
  background_image: v.nullable(v.string()),
  enabled: v.boolean(),
});
/** `background_config`. */
export type SeedBackgroundConfig = v.InferOutput<typeof SeedBackgroundConfigSchema>;

/** Server → client, first frame. */
export const InitialConfigSchema = v.object({
  type: v.literal(SeedType.initialConfig),
  script_logic: SeedScriptConfigSchema,
  background_config: SeedBackgroundConfigSchema,
});
/** `initial_config`. */
export type InitialConfig = v.InferOutput<typeof InitialConfigSchema>;

/** Server → client: one changed config. */
export const HotUpdateSchema = v.variant('update_type', [
  v.object({
    type: v.literal(SeedType.hotUpdate),
    update_type: v.literal(SeedUpdateType.script),
    config: SeedScriptConfigSchema,
    timestamp: v.number(),
  }),
  v.object({
    type: v.literal(SeedType.hotUpdate),
    update_type: v.literal(SeedUpdateType.background),
    config: SeedBackgroundConfigSchema,
    timestamp: v.number(),
  }),
]);
/** `hot_update`. */
export type HotUpdate = v.InferOutput<typeof HotUpdateSchema>;

/** Client → server keep-alive. */
export const SeedHeartbeatSchema = v.object({
  type: v.literal(SeedType.heartbeat),
  timestamp: v.exactOptional(v.number()),
});
/** Seed `heartbeat`. */
export type SeedHeartbeat = v.InferOutput<typeof SeedHeartbeatSchema>;

/** Client → server: outcome of a `hot_update`. */
export const AckUpdateSchema = v.object({
  type: v.literal(SeedType.ackUpdate),
  update_type: v.picklist([SeedUpdateType.script, SeedUpdateType.background]),
  success: v.boolean(),
  version: v.exactOptional(Text),
});
/** `ack_update`. */
export type AckUpdate = v.InferOutput<typeof AckUpdateSchema>;

/** Validates the unframed `client_info` hello. */
export const parseClientInfo: Validator<ClientInfo> = validator(
  ClientInfoSchema,
  ErrorCode.BAD_MESSAGE,
  'client_info',
);
/** Validates `initial_config` (for seed-protocol clients written in TypeScript). */
export const parseInitialConfig: Validator<InitialConfig> = validator(
  InitialConfigSchema,
  ErrorCode.BAD_MESSAGE,
  'initial_config',
);
/** Validates `hot_update`. */
export const parseHotUpdate: Validator<HotUpdate> = validator(
  HotUpdateSchema,
  ErrorCode.BAD_MESSAGE,
  'hot_update',
);

/** A message a seed client sends after its hello. */
export type SeedClientMessage = SeedHeartbeat | AckUpdate;

const heartbeatValidator = validator(SeedHeartbeatSchema, ErrorCode.BAD_MESSAGE, 'heartbeat');
const ackUpdateValidator = validator(AckUpdateSchema, ErrorCode.BAD_MESSAGE, 'ack_update');

/** Validates a framed message from a seed client (`heartbeat` or `ack_update`). */
export function parseSeedClientMessage(input: unknown): Result<SeedClientMessage> {
  if (typeof input !== 'object' || input === null)
    return fail(ErrorCode.BAD_MESSAGE, 'message is not a JSON object');
  const type: unknown = 'type' in input ? input.type : undefined;
  if (type === SeedType.heartbeat) return heartbeatValidator(input);
  if (type === SeedType.ackUpdate) return ackUpdateValidator(input);
  return fail(ErrorCode.UNKNOWN_TYPE, `unknown seed message type ${JSON.stringify(type) ?? 'undefined'}`);
}

/**
 * True when the first byte of a TCP stream starts the seed's unframed JSON hello. A framed stream
 * cannot start with `{` (0x7b): that header would announce a frame of about 2 GB, far over any limit.
 */
export function looksLikeSeedHello(firstByte: number): boolean {
  return firstByte === 0x7b;
}

/**
 * Finds the end of the top-level JSON object at the start of `bytes` (an unframed hello): the index
 * just past its closing brace, or -1 if the object is not complete yet. Strings and escapes are
 * respected, so braces inside strings don't count.
 */
export function scanJsonObjectEnd(bytes: Uint8Array): number {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (b === 0x5c) escaped = true;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b || b === 0x5b) depth++;
    else if (b === 0x7d || b === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
      if (depth < 0) return -1;
    }
  }
  return -1;
}

/** Parses a `#rrggbb` colour into the seed's `[r, g, b]`. */
export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})$/.exec(hex);
  if (!m) throw new TypeError(`not a #rrggbb colour: ${hex}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}
