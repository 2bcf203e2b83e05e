/**
 * The relay's HTTP API: paths, request bodies and answers, one schema and one validator each, shared
 * by the relay (which parses requests), the CLI and the admin site (which parse answers). JSON bodies,
 * but for a publish's bundle (`bundle.ts`); blobs travel as standard base64 inside a publish, raw in
 * a bundle, or raw through `PUT /api/blobs/:sha256`.
 */
import * as v from 'valibot';
import { ErrorCode } from './errors.ts';
import { RosterClientSchema } from './messages.ts';
import {
  Count,
  IsoTime,
  KeyId,
  PublicKeyText,
  RoomName,
  Sha256Hex,
  SignedReleaseSchema,
  VersionLabel,
} from './release.ts';
import { SignedRotationSchema } from './keys.ts';
import { validator } from './validate.ts';

/** Paths of the HTTP API, relative to the relay's origin. */
export const ApiPath = {
  /** `POST` a release; `GET` the history, newest first. */
  releases: (room: string) => `/api/rooms/${encodeURIComponent(room)}/releases`,
  /** `GET` the latest signed release (404 `NO_SUCH_ROOM` when there is none). */
  release: (room: string) => `/api/rooms/${encodeURIComponent(room)}/release`,
  /** `GET` the roster. */
  clients: (room: string) => `/api/rooms/${encodeURIComponent(room)}/clients`,
  /** `GET` trusted keys and rotation records; `POST` a signed rotation record. */
  keys: (room: string) => `/api/rooms/${encodeURIComponent(room)}/keys`,
  /** `GET` the rooms the relay knows. */
  rooms: () => '/api/rooms',
  /** `GET` or `PUT` one blob's raw bytes. */
  blob: (sha256: string) => `/api/blobs/${encodeURIComponent(sha256)}`,
  health: () => '/healthz',
  metrics: () => '/metrics',
} as const;

/**
 * A player's `GET /api/blobs/:sha256` says this header (value `1`): it could have the blob chunk by
 * chunk over its relay connection instead, where the swarm may carry it. A relay whose blob egress is
 * limited (`serve --egress-limit`) refuses such a request with 503 `BLOB_DEFERRED`; without a limit
 * it serves the whole blob at once, counted in its blob egress.
 */
export const PLAYER_BLOB_HEADER = 'patchcast-player';

/** Standard base64 with padding, as `btoa` and `Buffer#toString('base64')` write it. */
export const Base64Text = v.pipe(
  v.string(),
  v.check((s) => s.length % 4 === 0, 'base64 length is not a multiple of 4'),
  v.regex(/^[A-Za-z0-9+/]*={0,2}$/, 'invalid base64'),
);

/**
 * `POST /api/rooms/:room/releases`. `signed` stays `unknown` here on purpose: `acceptRelease` is the
 * one place that decides about a release, with its own refusal codes. `publicKey` is only read when
 * the room does not exist yet: the first release creates the room and its key becomes the room key.
 */
export const PublishBodySchema = v.object({
  signed: v.unknown(),
  /** Blobs the relay lacks: SHA-256 hex → standard base64 of the bytes. */
  blobs: v.exactOptional(v.record(Sha256Hex, Base64Text)),
  publicKey: v.exactOptional(PublicKeyText),
});
/** A publish request body. */
export type PublishBody = v.InferOutput<typeof PublishBodySchema>;
/** Validates a publish request body. */
export const parsePublishBody = validator(PublishBodySchema, ErrorCode.BAD_MESSAGE, 'publish body');

/** 201 answer to a publish. */
export const PublishedSchema = v.object({ room: RoomName, seq: Count, version: VersionLabel });
/** A publish answer. */
export type Published = v.InferOutput<typeof PublishedSchema>;
/** Validates a publish answer. */
export const parsePublished = validator(PublishedSchema, ErrorCode.BAD_MESSAGE, 'publish answer');

/** Every 4xx/5xx answer: a code from {@link ErrorCode}, words for people, and missing blobs if any. */
export const ErrorBodySchema = v.object({
  error: v.object({
    code: v.picklist(Object.values(ErrorCode)),
    message: v.pipe(v.string(), v.maxLength(4000)),
    missing: v.exactOptional(v.array(Sha256Hex)),
  }),
});
/** An error answer. */
export type ErrorBody = v.InferOutput<typeof ErrorBodySchema>;
/** Validates an error answer. */
export const parseErrorBody = validator(ErrorBodySchema, ErrorCode.BAD_MESSAGE, 'error answer');

/** Builds an error answer body. */
export function errorBody(code: ErrorCode, message: string, missing?: readonly string[]): ErrorBody {
  return {
    error: { code, message: message.slice(0, 4000), ...(missing ? { missing: [...missing] } : {}) },
  };
}

/**
 * `GET /api/rooms/:room/releases`: every release the relay keeps, newest first, and the highest seq
 * it ever accepted in the room (`lastSeq`: above the newest release's when that one's file was lost).
 * A publisher's next seq must be above `lastSeq`.
 */
export const HistoryBodySchema = v.object({
  room: RoomName,
  releases: v.array(SignedReleaseSchema),
  lastSeq: v.exactOptional(Count),
});
/** A history answer. */
export type HistoryBody = v.InferOutput<typeof HistoryBodySchema>;
/** Validates a history answer. */
export const parseHistoryBody = validator(HistoryBodySchema, ErrorCode.BAD_MESSAGE, 'history answer');

/**
 * `GET /api/rooms/:room/clients`: how many clients a room has. Per-client entries (ids, addresses)
 * are only for admins that proved a room key over `/ws`; here `clients` is always empty.
 */
export const RosterBodySchema = v.object({
  room: RoomName,
  seq: Count,
  at: IsoTime,
  count: v.exactOptional(Count),
  clients: v.array(RosterClientSchema),
});
/** A roster answer. */
export type RosterBody = v.InferOutput<typeof RosterBodySchema>;
/** Validates a roster answer. */
export const parseRosterBody = validator(RosterBodySchema, ErrorCode.BAD_MESSAGE, 'roster answer');

/** One trusted key of a room. */
export const TrustedKeySchema = v.object({ keyId: KeyId, publicKey: PublicKeyText });

/**
 * `GET /api/rooms/:room/keys`: what the relay trusts, and the signed rotation records that led there,
 * every one of them in order, so a player that pinned an older key can follow the chain with
 * `walkChain` (never trusting the relay's list itself).
 */
export const KeysBodySchema = v.object({
  room: RoomName,
  keys: v.array(TrustedKeySchema),
  /** The version of the room's current key set (1 before any rotation record). */
  version: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** How many of `keys` must sign the next key set. */
  threshold: v.pipe(v.number(), v.integer(), v.minValue(1)),
  rotations: v.array(SignedRotationSchema),
});
/** A keys answer. */
export type KeysBody = v.InferOutput<typeof KeysBodySchema>;
/** Validates a keys answer. */
export const parseKeysBody = validator(KeysBodySchema, ErrorCode.BAD_MESSAGE, 'keys answer');

/** `PUT /api/blobs/:sha256` answer: `stored` is false when the relay had the blob already. */
export const BlobPutAnswerSchema = v.object({ sha256: Sha256Hex, size: Count, stored: v.boolean() });
/** A blob upload answer. */
export type BlobPutAnswer = v.InferOutput<typeof BlobPutAnswerSchema>;
/** Validates a blob upload answer. */
export const parseBlobPutAnswer = validator(BlobPutAnswerSchema, ErrorCode.BAD_MESSAGE, 'blob answer');

/** Words about damage of the relay's data dir. */
const DamageText = v.pipe(v.string(), v.maxLength(4000));

/**
 * One room in `GET /api/rooms`. `lastSeq`: the highest seq the relay ever accepted there (a
 * publisher goes above it); `degraded`: what is missing from the relay's data dir for this room (a
 * blob, a lost release), when anything is.
 */
export const RoomSummarySchema = v.object({
  room: RoomName,
  seq: Count,
  version: v.nullable(VersionLabel),
  updatedAt: v.nullable(IsoTime),
  clients: Count,
  keys: Count,
  lastSeq: v.exactOptional(Count),
  degraded: v.exactOptional(v.array(DamageText)),
});
/** A room summary. */
export type RoomSummary = v.InferOutput<typeof RoomSummarySchema>;

/**
 * `GET /api/rooms`. `quarantined`: rooms whose files the relay found damaged at start; it serves
 * nothing and accepts nothing for them (`ROOM_QUARANTINED`) until its operator repairs them.
 */
export const RoomsBodySchema = v.object({
  rooms: v.array(RoomSummarySchema),
  quarantined: v.exactOptional(v.array(v.object({ room: RoomName, reason: DamageText }))),
});
/** A rooms answer. */
export type RoomsBody = v.InferOutput<typeof RoomsBodySchema>;
/** Validates a rooms answer. */
export const parseRoomsBody = validator(RoomsBodySchema, ErrorCode.BAD_MESSAGE, 'rooms answer');
