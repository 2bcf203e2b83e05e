/**
 * Changing a room's keys: the next key set, as the publisher's own keys see the room (their walk
 * along the relay's records — the relay's key list is never signed on its word), signed and sent.
 * One implementation for the CLI's `keys set` and the admin site's Keys page.
 */
import {
  lifetimeOf,
  nextKeySet,
  pinnedState,
  signRotation,
  walkChain,
  type KeySetChange,
  type SigningKey,
} from '../protocol/index.ts';
import type { KeysBody } from '../protocol/http.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { RelayError } from './errors.ts';
import type { RelayApi } from './relay-api.ts';

/** What a key change needs. */
export interface KeyChangeRequest {
  readonly room: string;
  /** Keys that sign the record (of the current set, the new one, or both). */
  readonly signers: readonly SigningKey[];
  /** Other public keys the publisher knows are the room's: more starting points of its walk. */
  readonly trusted?: readonly string[];
  /** `expires` absent: the current set's lifetime again, from now (none if it has none). */
  readonly change: KeySetChange;
  readonly now?: Date;
}

/**
 * Signs and sends the room's next key set; returns the relay's answer. Throws a {@link RelayError}
 * (`NO_SUCH_ROOM`, `UNKNOWN_KEY` when no signer is a key of the current set, or the relay's refusal).
 */
export async function changeRoomKeys(api: RelayApi, request: KeyChangeRequest): Promise<KeysBody> {
  const { room, signers } = request;
  const body = await api.keys(room);
  if (!body) throw new RelayError(ErrorCode.NO_SUCH_ROOM, `no room "${room}" on the relay`);
  const pinned = [...signers.map((s) => s.publicKey), ...(request.trusted ?? [])];
  const walked = await walkChain(await pinnedState(pinned), body.rotations, room);
  // No record taken: the room is still at the version its first publish made (the relay says which
  // version that is; the keys are ours, never the relay's list).
  const current =
    walked.last !== null
      ? { ...walked.state, version: walked.last.keySet.version }
      : { version: body.version, keys: walked.state.keys, threshold: body.threshold };
  if (walked.last === null && !body.keys.some((k) => current.keys.has(k.keyId))) {
    throw new RelayError(ErrorCode.UNKNOWN_KEY, `none of these keys is a key of room "${room}"`);
  }
  for (const keyId of request.change.remove ?? []) {
    if (!current.keys.has(keyId)) {
      throw new RelayError(ErrorCode.BAD_MESSAGE, `${keyId} is not a key of the room's current set`);
    }
  }
  // A set with an expiry hands its lifetime on (renewed from now) unless the change says otherwise:
  // a rotation never drops the room's protection against a freeze by accident.
  const now = request.now ?? new Date();
  const lifetime = walked.last ? lifetimeOf(walked.last.keySet) : null;
  const change =
    request.change.expires !== undefined || lifetime === null
      ? request.change
      : { ...request.change, expires: new Date(now.getTime() + lifetime).toISOString() };
  const keySet = await nextKeySet(room, current, change, now);
  if (keySet.threshold > keySet.keys.length) {
    throw new RelayError(
      ErrorCode.BAD_MESSAGE,
      `threshold ${keySet.threshold} is above the ${keySet.keys.length} keys of the set`,
    );
  }
  return api.rotate(room, await signRotation(keySet, signers));
}
