/**
 * A room's key sets on the relay: where a room's keys stand, a rotation record checked against
 * them (`acceptRotation`: version one above, signed by the threshold of the current keys and of its
 * own), a room's birth by a self-signed version 1 record, and the expiry that gates publishing.
 * The relay (`relay.ts`) serializes these per room and saves what they return.
 */
import {
  ErrorCode,
  acceptRotation,
  checkKeySetExpiry,
  fail,
  pinnedState,
  trustKeys,
  type KeySetState,
  type KeysBody,
  type SignedRotation,
} from '../../protocol/index.ts';
import type { StoredRoom } from '../store/store.ts';

/** A refusal: a code from the one list and a message. */
type Refused = { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** A room's keys: what it trusts now, and the rotation records that led there. */
export type RoomKeys = Omit<KeysBody, 'room'>;

/**
 * Where a room's keys stand: the last rotation record's set, or — for a room created by its first
 * publish, or one whose records predate key sets — version 1 of the keys it trusts, threshold 1.
 */
export function keySetStateOf(state: StoredRoom): KeySetState {
  const last = state.rotations.at(-1)?.keySet;
  const base = { version: last?.version ?? 1, keys: state.trusted, threshold: last?.threshold ?? 1 };
  return last?.expires === undefined ? base : { ...base, expires: last.expires };
}

/** What `GET /api/rooms/:room/keys` says of a room. */
export function keysOf(state: StoredRoom): RoomKeys {
  const { version, threshold } = keySetStateOf(state);
  return {
    keys: [...state.trusted].map(([keyId, publicKey]) => ({ keyId, publicKey })),
    version: version ?? 1,
    threshold,
    rotations: state.rotations,
  };
}

/**
 * Refuses a publish while the room's newest key set has expired (`KEY_SET_EXPIRED`): the keys must
 * renew it first (sign the next set with a later expiry). Players refuse releases under an expired
 * set anyway; the relay says so at the door, with the fix, instead of letting a release out that
 * no up-to-date player would take.
 */
export function publishableUnder(state: StoredRoom | undefined, now: number): Refused | null {
  if (!state) return null;
  const expiry = checkKeySetExpiry(keySetStateOf(state), now, 0);
  if (expiry.ok) return null;
  return fail(
    ErrorCode.KEY_SET_EXPIRED,
    `${expiry.message}: renew it before publishing (patchcast keys set --key K.json --expires 90d: the same keys, a later expiry)`,
  );
}

/**
 * The room after `candidate`, a rotation record for it: refused when it does not continue the room's
 * chain, or when the set it brings in has expired already (a renewal must reach into the future).
 */
export async function rotatedRoom(
  state: StoredRoom,
  record: SignedRotation,
  now: number,
): Promise<{ ok: true; room: StoredRoom } | Refused> {
  const accepted = await acceptRotation(record, state.room, keySetStateOf(state));
  if (!accepted.ok) return accepted;
  const expired = arrivesExpired(record, now);
  if (expired) return expired;
  return {
    ok: true,
    room: { ...state, trusted: new Map(accepted.value.state.keys), rotations: [...state.rotations, record] },
  };
}

/** A room born of a version 1 record signed by the threshold of its own keys (for an operator). */
export async function bornRoom(
  room: string,
  record: SignedRotation,
  now: number,
): Promise<{ ok: true; room: StoredRoom } | Refused> {
  if (record.keySet.version !== 1) {
    return fail(
      ErrorCode.UNKNOWN_KEY,
      `room "${room}" does not exist; only a version 1 key set signed by its own keys can create it`,
    );
  }
  const born = await acceptRotation(record, room, await pinnedState(record.keySet.keys));
  if (!born.ok) return born;
  const expired = arrivesExpired(record, now);
  if (expired) return expired;
  return {
    ok: true,
    room: {
      room,
      createdAt: new Date(now).toISOString(),
      trusted: await trustKeys(record.keySet.keys),
      rotations: [record],
      history: [],
    },
  };
}

function arrivesExpired(record: SignedRotation, now: number): Refused | null {
  const expiry = checkKeySetExpiry(record.keySet, now, 0);
  return expiry.ok ? null : fail(ErrorCode.KEY_SET_EXPIRED, `${expiry.message}, before it arrived`);
}
