/**
 * What the player keeps in IndexedDB, as schemas: everything read back is validated here (and
 * releases and blobs are verified again by the client) before it is used. Nothing is cast.
 */
import * as v from 'valibot';
import { ErrorCode } from '../../protocol/errors.ts';
import { ClientId, ClientText } from '../../protocol/messages.ts';
import { Count, KeyId, RoomName, Sha256Hex, SlotName, VersionLabel } from '../../protocol/release.ts';
import { MAX_ROOM_KEYS, SignedRotationSchema } from '../../protocol/key-sets.ts';
import { validator } from '../../protocol/validate.ts';

/** Good contents kept per slot to fall back on (the last one is the one applied). */
export const MAX_HISTORY = 4;
/** Blobs remembered as failed (so a bad script isn't tried again on every boot). */
export const MAX_FAILED = 32;

/** One content a slot held: the release it came from, its label and its blob. */
export const HeldEntrySchema = v.strictObject({
  seq: v.pipe(Count, v.minValue(1)),
  version: VersionLabel,
  sha256: Sha256Hex,
});
/** See {@link HeldEntrySchema}. */
export type HeldEntry = v.InferOutput<typeof HeldEntrySchema>;

/**
 * Where the player's walk along the room's key sets got to: the last rotation record it took, and
 * the pinned keys (ids, sorted) it walked from. Like the seq floor, it is local state the player
 * trusts: a later boot starts from it, so a relay that replays or withholds records can't move the
 * player back to keys it has seen removed. A boot pinned to other keys starts from those instead.
 */
export const TrustRootSchema = v.strictObject({
  pinned: v.pipe(v.array(KeyId), v.minLength(1), v.maxLength(MAX_ROOM_KEYS)),
  record: SignedRotationSchema,
});
/** See {@link TrustRootSchema}. */
export type TrustRoot = v.InferOutput<typeof TrustRootSchema>;

/** The player's state for one room. */
export const RoomStateSchema = v.strictObject({
  format: v.literal(1),
  room: RoomName,
  /** Seq of the newest release accepted: the rollback floor. */
  seq: Count,
  /** Per slot, the contents it held, oldest first; the last is applied. */
  held: v.record(SlotName, v.pipe(v.array(HeldEntrySchema), v.minLength(1), v.maxLength(MAX_HISTORY))),
  /** Blobs that failed to apply, with the error they were acked with. */
  failed: v.pipe(
    v.record(Sha256Hex, ClientText),
    v.check((m) => Object.keys(m).length <= MAX_FAILED, 'too many failed blobs'),
  ),
  /** Rotation records of the old, unversioned format (caches written before key sets): not used. */
  rotations: v.exactOptional(v.pipe(v.array(v.unknown()), v.maxLength(64))),
  /** The newest key set this player reached from its pinned keys (absent: the pinned keys alone). */
  trustRoot: v.exactOptional(TrustRootSchema),
});
/** See {@link RoomStateSchema}. */
export type RoomState = v.InferOutput<typeof RoomStateSchema>;

/** Validates a stored room state. */
export const parseRoomState = validator(RoomStateSchema, ErrorCode.BAD_MESSAGE, 'cached room state');

/** Validates a stored blob: bytes, nothing else. */
export const parseStoredBlob = validator(v.instance(Uint8Array), ErrorCode.BAD_MESSAGE, 'cached blob');

/** Validates a stored client id. */
export const parseStoredClientId = validator(ClientId, ErrorCode.BAD_MESSAGE, 'cached client id');

/** An empty state for a room. */
export function emptyRoomState(room: string): RoomState {
  return { format: 1, room, seq: 0, held: {}, failed: {} };
}

/** `state` with the trust root of `latest` (the walk may have moved on while `state` was made). */
export function withTrustRoot(state: RoomState, latest: RoomState): RoomState {
  const { trustRoot: _, rotations: __, ...rest } = state;
  return latest.trustRoot ? { ...rest, trustRoot: latest.trustRoot } : rest;
}
