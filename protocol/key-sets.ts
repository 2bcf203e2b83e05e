/**
 * Versioned room key sets (after TUF's root role). A room trusts one key set at a time: its keys, a
 * threshold, and a version. A rotation record is the next key set — version exactly one above the
 * current — signed by at least `threshold` keys of the current set *and* `threshold` keys of its
 * own (so whoever rotates holds what they hand over to). Keys can be added and removed; a replayed
 * or older record is refused and changes nothing; and anyone who knows one link of the chain (the
 * key pinned in a player's URL) follows the records from there to the room's current set, however
 * many there are.
 */
import * as v from 'valibot';
import { ErrorCode, fail, ok, type Result } from './errors.ts';
import { canonicalBytes } from './jcs.ts';
import { keyIdOf, signBytes, verifyBytes, type SigningKey } from './crypto.ts';
import { IsoTime, KeyId, PublicKeyText, RoomName, SignatureText } from './release.ts';
import { MAX_CLOCK_SKEW_MS } from './limits.ts';
import { validator } from './validate.ts';

/** Most keys one set may hold (and so signatures one record may carry). */
export const MAX_ROOM_KEYS = 16;

/** A room's key set, version `version`: releases signed by any of `keys` are the room's. */
export const KeySetSchema = v.strictObject({
  format: v.literal(1),
  kind: v.literal('key-set'),
  room: RoomName,
  version: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 31)),
  keys: v.pipe(
    v.array(PublicKeyText),
    v.minLength(1),
    v.maxLength(MAX_ROOM_KEYS),
    v.check((keys) => new Set(keys).size === keys.length, 'duplicate key'),
  ),
  /** How many of `keys` must sign the next set (and this one). */
  threshold: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_ROOM_KEYS)),
  createdAt: IsoTime,
  /**
   * Until when this set may be the room's newest (optional; TUF's expiry against freeze attacks).
   * Once it has passed, the relay takes no release until the keys sign a later set (a renewal: the
   * same keys, a later expiry), and a player whose newest known set expired takes no new release —
   * a relay that withholds the newer set can keep a player on it only until then.
   */
  expires: v.exactOptional(IsoTime),
});

/** A key set. */
export type KeySet = v.InferOutput<typeof KeySetSchema>;

/** One signature of a key set record: which key, and its Ed25519 signature over the canonical set. */
export const KeySignatureSchema = v.strictObject({ keyId: KeyId, sig: SignatureText });

/** A rotation record: a key set and its signatures. */
export const SignedRotationSchema = v.strictObject({
  keySet: v.pipe(
    KeySetSchema,
    v.check((set) => set.threshold <= set.keys.length, 'threshold above the number of keys'),
    v.check(
      (set) => set.expires === undefined || Date.parse(set.expires) > Date.parse(set.createdAt),
      'expires before it was created',
    ),
  ),
  sigs: v.pipe(v.array(KeySignatureSchema), v.minLength(1), v.maxLength(2 * MAX_ROOM_KEYS)),
});

/** A signed rotation record (a key set and its signatures). */
export type SignedRotation = v.InferOutput<typeof SignedRotationSchema>;

/** Validates a signed rotation record's structure. */
export const parseSignedRotation = validator(SignedRotationSchema, ErrorCode.BAD_MESSAGE, 'key set record');

/** The keys a room trusts: key id → base64url public key. */
export type TrustedKeys = ReadonlyMap<string, string>;

/**
 * Where a walk along the chain stands: the keys trusted, the threshold of the set they came from,
 * and its version. `version: null` is a start from pinned keys alone (a player's URL): the first
 * record that one of them signed (with its own threshold met) is taken, whatever its version.
 */
export interface KeySetState {
  readonly version: number | null;
  readonly keys: TrustedKeys;
  readonly threshold: number;
  /** The set's signed expiry (ISO time), if it has one. */
  readonly expires?: string;
}

/** Builds a trust map from public keys (base64url). */
export async function trustKeys(publicKeys: readonly string[]): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const pk of publicKeys) map.set(await keyIdOf(pk), pk);
  return map;
}

/** The start of a walk from pinned keys (any one of them vouches for the first record it signed). */
export async function pinnedState(publicKeys: readonly string[]): Promise<KeySetState> {
  return { version: null, keys: await trustKeys(publicKeys), threshold: 1 };
}

/** The state a key set puts a room in. */
export async function stateOf(keySet: KeySet): Promise<KeySetState> {
  const state = { version: keySet.version, keys: await trustKeys(keySet.keys), threshold: keySet.threshold };
  return keySet.expires === undefined ? state : { ...state, expires: keySet.expires };
}

/**
 * `KEY_SET_EXPIRED` when `state` has an expiry that passed more than the allowed clock skew before
 * `now` (a set without one never expires).
 */
export function checkKeySetExpiry(
  state: Pick<KeySetState, 'version' | 'expires'>,
  now: number,
  maxSkewMs = MAX_CLOCK_SKEW_MS,
): Result<null> {
  if (state.expires === undefined || Date.parse(state.expires) + maxSkewMs >= now) return ok(null);
  return fail(
    ErrorCode.KEY_SET_EXPIRED,
    `the room's key set${state.version === null ? '' : ` version ${state.version}`} expired at ${state.expires}`,
  );
}

/** How long `keySet` was given when it was signed (ms from `createdAt` to `expires`), or null. */
export function lifetimeOf(keySet: KeySet): number | null {
  return keySet.expires === undefined ? null : Date.parse(keySet.expires) - Date.parse(keySet.createdAt);
}

/** A room's first key set: `publicKeys`, version 1. */
export function genesisKeySet(
  room: string,
  publicKeys: readonly string[],
  threshold = 1,
  now = new Date(),
): KeySet {
  return {
    format: 1,
    kind: 'key-set',
    room,
    version: 1,
    keys: [...publicKeys],
    threshold,
    createdAt: now.toISOString(),
  };
}

/** A change to a room's keys: keys to add (public keys), keys to remove (key ids), a new threshold. */
export interface KeySetChange {
  readonly add?: readonly string[];
  readonly remove?: readonly string[];
  /** Default: the current threshold, lowered to the number of keys left. */
  readonly threshold?: number;
  /** The new set's expiry (ISO time); none when absent or null. */
  readonly expires?: string | null;
}

/** The set after `current`: one version up, with `change` applied (not signed; see {@link signRotation}). */
export async function nextKeySet(
  room: string,
  current: { readonly version: number; readonly keys: TrustedKeys; readonly threshold: number },
  change: KeySetChange,
  now = new Date(),
): Promise<KeySet> {
  const keys = new Map(current.keys);
  for (const keyId of change.remove ?? []) keys.delete(keyId);
  for (const pk of change.add ?? []) keys.set(await keyIdOf(pk), pk);
  const threshold = change.threshold ?? Math.min(current.threshold, Math.max(1, keys.size));
  const keySet: KeySet = {
    format: 1,
    kind: 'key-set',
    room,
    version: current.version + 1,
    keys: [...keys.values()],
    threshold,
    createdAt: now.toISOString(),
  };
  return typeof change.expires === 'string' ? { ...keySet, expires: change.expires } : keySet;
}

/** Signs a key set with each of `signers` (keys of the current set, of the new one, or both). */
export async function signRotation(keySet: KeySet, signers: readonly SigningKey[]): Promise<SignedRotation> {
  const bytes = canonicalBytes(keySet);
  const sigs = [];
  for (const signer of new Map(signers.map((s) => [s.keyId, s])).values()) {
    sigs.push({ keyId: signer.keyId, sig: await signBytes(signer, bytes) });
  }
  return { keySet, sigs };
}

/** How many distinct keys of `keys` made a good signature in `record`. */
async function goodSignatures(record: SignedRotation, keys: TrustedKeys): Promise<number> {
  const bytes = canonicalBytes(record.keySet);
  const good = new Set<string>();
  for (const { keyId, sig } of record.sigs) {
    const publicKey = keys.get(keyId);
    if (publicKey === undefined || good.has(keyId)) continue;
    if (await verifyBytes(publicKey, bytes, sig).catch(() => false)) good.add(keyId);
  }
  return good.size;
}

/**
 * Checks a rotation record against where the room stands: same room, version one above (any version
 * from a pinned start), `threshold` good signatures of the current keys and of the new set's own.
 * Returns the state the record leads to; `current` is not changed.
 */
export async function acceptRotation(
  candidate: unknown,
  room: string,
  current: KeySetState,
): Promise<Result<{ state: KeySetState; record: SignedRotation }>> {
  const parsed = parseSignedRotation(candidate);
  if (!parsed.ok) return parsed;
  const record = parsed.value;
  const { keySet } = record;
  if (keySet.room !== room) return fail(ErrorCode.WRONG_ROOM, `key set is for room "${keySet.room}"`);
  if (current.version !== null && keySet.version <= current.version) {
    return fail(
      ErrorCode.STALE_KEY_SET,
      `key set version ${keySet.version} is not above the room's version ${current.version}`,
    );
  }
  if (current.version !== null && keySet.version !== current.version + 1) {
    return fail(
      ErrorCode.BAD_MESSAGE,
      `the next key set is version ${current.version + 1}, not ${keySet.version}`,
    );
  }
  const byCurrent = await goodSignatures(record, current.keys);
  if (byCurrent === 0) return fail(ErrorCode.UNKNOWN_KEY, 'no key the room trusts signed this key set');
  if (byCurrent < current.threshold) {
    return fail(
      ErrorCode.BAD_SIGNATURE,
      `${byCurrent} of the ${current.threshold} signatures of current keys this key set needs`,
    );
  }
  const next = await stateOf(keySet);
  const byOwn = await goodSignatures(record, next.keys);
  if (byOwn < keySet.threshold) {
    return fail(
      ErrorCode.BAD_SIGNATURE,
      `${byOwn} of the ${keySet.threshold} signatures of its own keys this key set needs`,
    );
  }
  return ok({ state: next, record });
}

/**
 * Walks a chain of rotation records from `start`, in order: each record that `acceptRotation` takes
 * moves the state on; the others (replays, forks, junk a relay added) are skipped. Returns where the
 * walk ended and the last record taken (null: none).
 */
export async function walkChain(
  start: KeySetState,
  records: readonly unknown[],
  room: string,
): Promise<{ state: KeySetState; last: SignedRotation | null }> {
  let state = start;
  let last: SignedRotation | null = null;
  for (const record of records) {
    const accepted = await acceptRotation(record, room, state);
    if (accepted.ok) ({ state, record: last } = accepted.value);
  }
  return { state, last };
}

/** The keys trusted after following `records` from the pinned keys (see {@link walkChain}). */
export async function extendTrust(
  pinned: TrustedKeys,
  records: readonly unknown[],
  room: string,
): Promise<TrustedKeys> {
  const start: KeySetState = { version: null, keys: pinned, threshold: 1 };
  return (await walkChain(start, records, room)).state.keys;
}
