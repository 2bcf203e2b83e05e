/**
 * What the player keeps in IndexedDB, as schemas: everything read back is validated here (and
 * releases and blobs are verified again by the client) before it is used. Nothing is cast.
 */
import * as v from 'valibot';
import { ErrorCode } from '../../protocol/errors.ts';
import { ClientId, ClientText } from '../../protocol/messages.ts';
import { Count, RoomName, Sha256Hex, SlotName, VersionLabel } from '../../protocol/release.ts';
import { validator } from '../../protocol/validate.ts';

/** Good contents kept per slot to fall back on (the last one is the one applied). */
export const MAX_HISTORY = 4;
/** Blobs remembered as failed (so a bad script isn't tried again on every boot). */
export const MAX_FAILED = 32;
/** Rotation records kept. */
export const MAX_ROTATIONS = 64;

/** One content a slot held: the release it came from, its label and its blob. */
export const HeldEntrySchema = v.strictObject({
  seq: v.pipe(Count, v.minValue(1)),
  version: VersionLabel,
  sha256: Sha256Hex,
});
/** See {@link HeldEntrySchema}. */
export type HeldEntry = v.InferOutput<typeof HeldEntrySchema>;

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
  /** Key rotation records seen for the room (each is verified again when trust is computed). */
  rotations: v.pipe(v.array(v.unknown()), v.maxLength(MAX_ROTATIONS)),
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
  return { format: 1, room, seq: 0, held: {}, failed: {}, rotations: [] };
}
