/**
 * The messages of the relay channels (WebSocket and framed TCP) and of the swarm: one schema and one
 * validator per message, and the union of them all. Every message is a JSON object with a `type`.
 */
import * as v from 'valibot';
import { ErrorCode, fail, type Result } from './errors.ts';
import {
  MAX_CHUNK_SIZE,
  MAX_CHUNKS_PER_REQUEST,
  MAX_CLIENT_TEXT_LENGTH,
  MAX_RESTART_HINT_MS,
  MAX_RESTART_SPREAD_MS,
} from './limits.ts';
import {
  Count,
  IsoTime,
  PublicKeyText,
  RoomName,
  SignatureText,
  Sha256Hex,
  SignedReleaseSchema,
  SlotName,
  VersionLabel,
} from './release.ts';
import { validator, type Validator } from './validate.ts';
import { signBytes, type SigningKey } from './crypto.ts';

/** Version of this message set, sent in `hello`. */
export const PROTOCOL_VERSION = 1;

/** Message kinds. */
export const MessageType = {
  hello: 'hello',
  welcome: 'welcome',
  release: 'release',
  blobGet: 'blob.get',
  blob: 'blob',
  blobDefer: 'blob.defer',
  peersGet: 'peers.get',
  peers: 'peers',
  swarmStarved: 'swarm.starved',
  heartbeat: 'heartbeat',
  ack: 'ack',
  roster: 'roster',
  rosterAuth: 'roster.auth',
  error: 'error',
} as const;
/** One of {@link MessageType}. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Who is on the other end of a connection. */
export const Role = { player: 'player', admin: 'admin', cli: 'cli' } as const;
/** One of {@link Role}. */
export type Role = (typeof Role)[keyof typeof Role];

/** How a client reaches the relay (or a peer): shown in the roster. */
export const Transport = { ws: 'ws', tcp: 'tcp', seedTcp: 'seed-tcp', peer: 'peer' } as const;
/** One of {@link Transport}. */
export type Transport = (typeof Transport)[keyof typeof Transport];

/** Free text a client reports (platform, an error): bounded, stored and shown as text only. */
export const ClientText = v.pipe(v.string(), v.maxLength(MAX_CLIENT_TEXT_LENGTH));
/** A client id: letters, digits, `-`, `_`, `.`, `:`, up to 64. */
export const ClientId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'invalid client id'));

/** A client's secret: 22 to 86 base64url characters (at least 128 bits). */
export const ClientSecret = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{22,86}$/, 'invalid client secret'));

/** What a client holds of one slot. */
export const HeldSlotSchema = v.object({ version: VersionLabel, sha256: Sha256Hex });
/** What a client holds of one slot. */
export type HeldSlot = v.InferOutput<typeof HeldSlotSchema>;

/** Delivery counters a client reports (swarm accounting). */
export const TrafficSchema = v.object({
  bytesFromRelay: Count,
  bytesFromPeers: Count,
  peers: v.pipe(Count, v.maxValue(1000)),
});
/** Delivery counters. */
export type Traffic = v.InferOutput<typeof TrafficSchema>;

/** Client → relay, first message: who it is and what it holds. */
export const HelloSchema = v.object({
  type: v.literal(MessageType.hello),
  v: v.literal(PROTOCOL_VERSION),
  room: RoomName,
  role: v.picklist(Object.values(Role)),
  clientId: ClientId,
  platform: v.exactOptional(ClientText),
  /** The seq of the release the client holds (0 for none). */
  seq: Count,
  slots: v.exactOptional(v.record(SlotName, HeldSlotSchema)),
  /** The client's PeerJS id, when it takes part in the swarm (say it after PeerJS opened it). */
  peerId: v.exactOptional(ClientId),
  /**
   * A random secret only this client holds (it keeps it with its client id): the relay binds the
   * client id to it, and gives the id to a later hello only if it says the same secret.
   */
  clientSecret: v.exactOptional(ClientSecret),
  /** The client takes `blob` chunks as binary chunk frames (`protocol/frame.ts`) rather than JSON. */
  binaryChunks: v.exactOptional(v.boolean()),
  /**
   * The client takes the chunks of a new release's small blobs (`PUSH_BLOB_MAX_BYTES`) pushed right
   * behind the `release`, unasked, and keeps them for the fetch that wants them. The relay pushes
   * only the slots the client will fetch: not those it holds, and within its staged rollout.
   */
  pushBlobs: v.exactOptional(v.boolean()),
  /**
   * The client takes a blob of more than one chunk whole over HTTP (`GET /api/blobs/:sha256`) when
   * the relay serves it at once, and asks for its chunks here only when the relay defers or the GET
   * fails: the relay frames those chunks for it when asked, not ahead of the release.
   */
  httpBlobs: v.exactOptional(v.boolean()),
});
/** `hello`. */
export type Hello = v.InferOutput<typeof HelloSchema>;

/** A roster challenge nonce: 43 base64url characters (32 random bytes). */
export const RosterNonce = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'invalid nonce'));

/** Relay → client, answer to `hello`. */
export const WelcomeSchema = v.object({
  type: v.literal(MessageType.welcome),
  clientId: ClientId,
  room: RoomName,
  /** Seq of the relay's latest release for the room (0 for none). */
  seq: Count,
  heartbeatMs: v.pipe(Count, v.minValue(100)),
  maxFrameBytes: Count,
  serverTime: IsoTime,
  /** Other swarm members of the room the client may connect to (PeerJS ids). */
  peers: v.exactOptional(v.pipe(v.array(ClientId), v.maxLength(64))),
  /**
   * True when this relay may defer chunk requests to the swarm (`blob.defer`: it has an egress
   * limit). A player that makes links on demand links at once then; without it, the relay serves
   * every request at once and links would never carry a byte.
   */
  defers: v.exactOptional(v.literal(true)),
  /**
   * To an admin: the nonce it signs with a room key (`roster.auth`) before the relay shows it the
   * room's roster.
   */
  challenge: v.exactOptional(RosterNonce),
  /**
   * The version of the newest key-set record the relay holds for the room (the last of what
   * `GET /api/rooms/:room/keys` lists in `rotations`), 0 when it holds none. A player whose trust
   * already stands at that version (or, at 0, on its pinned keys) needn't fetch the key chain on
   * this connection: that answer could hold nothing newer. (A relay could withhold records from the
   * answer as well as from this number: it changes nothing a player trusts, only what it asks.)
   */
  rotationVersion: v.exactOptional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 31))),
});
/** `welcome`. */
export type Welcome = v.InferOutput<typeof WelcomeSchema>;

/** A signed release, announced by the relay or passed on by a peer. */
export const ReleaseMessageSchema = v.object({
  type: v.literal(MessageType.release),
  signed: SignedReleaseSchema,
});
/** `release`. */
export type ReleaseMessage = v.InferOutput<typeof ReleaseMessageSchema>;

/** Asks for `count` chunks of a blob starting at chunk `from`. */
export const BlobGetSchema = v.object({
  type: v.literal(MessageType.blobGet),
  sha256: Sha256Hex,
  from: Count,
  count: v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(MAX_CHUNKS_PER_REQUEST)),
  /** The client has swarm peers: the relay may answer `blob.defer` ("get it from them") instead. */
  defer: v.exactOptional(v.boolean()),
});
/** `blob.get`. */
export type BlobGet = v.InferOutput<typeof BlobGetSchema>;

/**
 * One chunk of a blob: base64 in JSON (`data`), or — to a client whose hello said `binaryChunks` —
 * a binary chunk frame (`protocol/frame.ts`), which decodes to the same message with the raw `bytes`.
 */
export const BlobSchema = v.union([
  v.object({
    type: v.literal(MessageType.blob),
    sha256: Sha256Hex,
    index: Count,
    data: v.pipe(v.string(), v.maxLength(Math.ceil(MAX_CHUNK_SIZE / 3) * 4)),
  }),
  v.object({
    type: v.literal(MessageType.blob),
    sha256: Sha256Hex,
    index: Count,
    bytes: v.pipe(v.instance(Uint8Array), v.maxLength(MAX_CHUNK_SIZE)),
  }),
]);
/** `blob`. */
export type BlobMessage = v.InferOutput<typeof BlobSchema>;

/**
 * Relay → client: "your peers can give you this chunk; ask me again after `retryAfterMs` if they
 * don't". Only ever sent for a `blob.get` with `defer: true`.
 */
export const BlobDeferSchema = v.object({
  type: v.literal(MessageType.blobDefer),
  sha256: Sha256Hex,
  index: Count,
  retryAfterMs: v.pipe(Count, v.maxValue(60_000)),
});
/** `blob.defer`. */
export type BlobDefer = v.InferOutput<typeof BlobDeferSchema>;

/** Client → relay: asks for swarm members of its room to connect to. */
export const PeersGetSchema = v.object({ type: v.literal(MessageType.peersGet) });
/** `peers.get`. */
export type PeersGet = v.InferOutput<typeof PeersGetSchema>;

/**
 * Client → relay: "my swarm peers give me nothing: serve me directly" (`starved: true`), or "they
 * deliver again" (`false`). While a connection is starved, the relay never answers its `blob.get`
 * with `blob.defer`. Said once per change; it grants nothing a `blob.get` without `defer` couldn't.
 */
export const SwarmStarvedSchema = v.object({
  type: v.literal(MessageType.swarmStarved),
  starved: v.boolean(),
});
/** `swarm.starved`. */
export type SwarmStarved = v.InferOutput<typeof SwarmStarvedSchema>;

/** Relay → client: PeerJS ids of other swarm members of the room (a random sample). */
export const PeersSchema = v.object({
  type: v.literal(MessageType.peers),
  peers: v.pipe(v.array(ClientId), v.maxLength(64)),
});
/** `peers`. */
export type PeersMessage = v.InferOutput<typeof PeersSchema>;

/** Keep-alive, with the client's delivery counters. */
export const HeartbeatSchema = v.object({
  type: v.literal(MessageType.heartbeat),
  t: v.exactOptional(v.pipe(v.number(), v.finite())),
  traffic: v.exactOptional(TrafficSchema),
});
/** `heartbeat`. */
export type Heartbeat = v.InferOutput<typeof HeartbeatSchema>;

/** Outcome of applying one slot. */
export const AckStatus = { applied: 'applied', failed: 'failed', skipped: 'skipped' } as const;
/** One of {@link AckStatus}. */
export type AckStatus = (typeof AckStatus)[keyof typeof AckStatus];

/** Client → relay: the outcome of applying one slot of a release. */
export const AckSchema = v.object({
  type: v.literal(MessageType.ack),
  seq: Count,
  slot: SlotName,
  version: VersionLabel,
  sha256: Sha256Hex,
  status: v.picklist(Object.values(AckStatus)),
  error: v.exactOptional(ClientText),
  /**
   * With `failed`: what the slot runs instead — an older content it held, or null for the game's
   * built-in content. (Absent: the client did not say, as older clients don't.)
   */
  running: v.exactOptional(v.nullable(HeldSlotSchema)),
});
/** `ack`. */
export type Ack = v.InferOutput<typeof AckSchema>;

/** What the roster knows of one slot of one client. */
export const RosterSlotSchema = v.object({
  version: VersionLabel,
  sha256: v.exactOptional(Sha256Hex),
  seq: Count,
  status: v.picklist(Object.values(AckStatus)),
  error: v.exactOptional(ClientText),
  /** With `failed`: what the client runs instead (null: the game's built-in content). */
  running: v.exactOptional(v.nullable(HeldSlotSchema)),
});
/** A roster slot. */
export type RosterSlot = v.InferOutput<typeof RosterSlotSchema>;

/** One client in the roster. */
export const RosterClientSchema = v.object({
  clientId: ClientId,
  room: RoomName,
  role: v.picklist(Object.values(Role)),
  transport: v.picklist(Object.values(Transport)),
  platform: ClientText,
  address: ClientText,
  connectedAt: IsoTime,
  lastHeartbeat: IsoTime,
  /** Seq of the release the client last reported holding. */
  seq: Count,
  slots: v.record(SlotName, RosterSlotSchema),
  lastAck: v.exactOptional(
    v.object({
      seq: Count,
      slot: SlotName,
      status: v.picklist(Object.values(AckStatus)),
      error: v.exactOptional(ClientText),
      at: IsoTime,
    }),
  ),
  traffic: TrafficSchema,
});
/** A roster entry. */
export type RosterClient = v.InferOutput<typeof RosterClientSchema>;

/** Relay → admins: the whole roster of a room (sent on change, throttled). */
export const RosterSchema = v.object({
  type: v.literal(MessageType.roster),
  room: RoomName,
  seq: Count,
  at: IsoTime,
  clients: v.array(RosterClientSchema),
});
/** `roster`. */
export type Roster = v.InferOutput<typeof RosterSchema>;

/**
 * Admin → relay: proof of a room key, answering the welcome's `challenge`: an Ed25519 signature by
 * one of the room's trusted keys over {@link rosterChallengeBytes}.
 */
export const RosterAuthSchema = v.object({
  type: v.literal(MessageType.rosterAuth),
  publicKey: PublicKeyText,
  sig: SignatureText,
});
/** `roster.auth`. */
export type RosterAuth = v.InferOutput<typeof RosterAuthSchema>;

/** The bytes an admin signs to see a room's roster: `patchcast-roster|<room>|<nonce>`. */
export function rosterChallengeBytes(room: string, nonce: string): Uint8Array {
  return new TextEncoder().encode(`patchcast-roster|${room}|${nonce}`);
}

/** The `roster.auth` answer to a challenge, signed with a room key. */
export async function signRosterChallenge(key: SigningKey, room: string, nonce: string): Promise<RosterAuth> {
  const sig = await signBytes(key, rosterChallengeBytes(room, nonce));
  return { type: MessageType.rosterAuth, publicKey: key.publicKey, sig };
}

/**
 * Either way: something was refused. `fatal` means the sender closes the connection next. With
 * `SERVER_SHUTDOWN`, `retryAfterMs` is the relay's hint of when to come back (it is restarting):
 * clients dial again then, spread by jitter over `retrySpreadMs` (the relay names it by how many
 * clients it had: `restartSpread`), and about as often until it is back (`restartDelay` in
 * `backoff.ts`).
 */
export const ErrorMessageSchema = v.object({
  type: v.literal(MessageType.error),
  code: v.picklist(Object.values(ErrorCode)),
  message: ClientText,
  fatal: v.exactOptional(v.boolean()),
  retryAfterMs: v.exactOptional(v.pipe(Count, v.maxValue(MAX_RESTART_HINT_MS))),
  retrySpreadMs: v.exactOptional(v.pipe(Count, v.maxValue(MAX_RESTART_SPREAD_MS))),
});
/** `error`. */
export type ErrorMessage = v.InferOutput<typeof ErrorMessageSchema>;

/** Any message of the relay and swarm channels. */
export type Message =
  | Hello
  | Welcome
  | ReleaseMessage
  | BlobGet
  | BlobMessage
  | BlobDefer
  | PeersGet
  | PeersMessage
  | SwarmStarved
  | Heartbeat
  | Ack
  | Roster
  | RosterAuth
  | ErrorMessage;

/** The message of a given type. */
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

/** One validator per message type. */
export const messageValidators: { readonly [T in MessageType]: Validator<MessageOf<T>> } = {
  hello: validator(HelloSchema, ErrorCode.BAD_MESSAGE, 'hello'),
  welcome: validator(WelcomeSchema, ErrorCode.BAD_MESSAGE, 'welcome'),
  release: validator(ReleaseMessageSchema, ErrorCode.BAD_MESSAGE, 'release message'),
  'blob.get': validator(BlobGetSchema, ErrorCode.BAD_MESSAGE, 'blob.get'),
  blob: validator(BlobSchema, ErrorCode.BAD_MESSAGE, 'blob'),
  'blob.defer': validator(BlobDeferSchema, ErrorCode.BAD_MESSAGE, 'blob.defer'),
  'peers.get': validator(PeersGetSchema, ErrorCode.BAD_MESSAGE, 'peers.get'),
  peers: validator(PeersSchema, ErrorCode.BAD_MESSAGE, 'peers'),
  'swarm.starved': validator(SwarmStarvedSchema, ErrorCode.BAD_MESSAGE, 'swarm.starved'),
  heartbeat: validator(HeartbeatSchema, ErrorCode.BAD_MESSAGE, 'heartbeat'),
  ack: validator(AckSchema, ErrorCode.BAD_MESSAGE, 'ack'),
  roster: validator(RosterSchema, ErrorCode.BAD_MESSAGE, 'roster'),
  'roster.auth': validator(RosterAuthSchema, ErrorCode.BAD_MESSAGE, 'roster.auth'),
  error: validator(ErrorMessageSchema, ErrorCode.BAD_MESSAGE, 'error message'),
};

function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && Object.hasOwn(messageValidators, value);
}

/** Validates any message: dispatches on `type`, then applies that message's validator. */
export function parseMessage(input: unknown): Result<Message> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail(ErrorCode.BAD_MESSAGE, 'message is not a JSON object');
  }
  const type: unknown = 'type' in input ? input.type : undefined;
  if (!isMessageType(type))
    return fail(ErrorCode.UNKNOWN_TYPE, `unknown message type ${JSON.stringify(type) ?? 'undefined'}`);
  return messageValidators[type](input);
}

/**
 * Builds an `error` message (message text truncated to the wire limit), with a retry hint and its
 * spread if given.
 */
export function errorMessage(
  code: ErrorCode,
  message: string,
  fatal = false,
  retryAfterMs?: number,
  retrySpreadMs?: number,
): ErrorMessage {
  return {
    type: MessageType.error,
    code,
    message: message.slice(0, MAX_CLIENT_TEXT_LENGTH),
    ...(fatal ? { fatal } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(retrySpreadMs !== undefined ? { retrySpreadMs } : {}),
  };
}
