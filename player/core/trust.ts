/**
 * Which keys the player trusts for its room: the ones pinned in its URL, moved along the room's key
 * sets (`walkChain`: each record signed by the threshold of the keys trusted so far; the relay can
 * neither add keys nor bring back removed ones). Its newest point is kept as the room state's
 * `trustRoot`. Also the check a cached release gets at boot.
 */
import { keyIdOf } from '../../protocol/crypto.ts';
import type { Result } from '../../protocol/errors.ts';
import {
  acceptRotation,
  checkKeySetExpiry,
  pinnedState,
  stateOf,
  walkChain,
  type KeySetState,
  type TrustedKeys,
} from '../../protocol/key-sets.ts';
import { verifyReleaseSignature, type SignedRelease } from '../../protocol/release.ts';
import { ApiPath, parseKeysBody } from '../../protocol/http.ts';
import type { TrustRoot } from './schema.ts';
import { relayUrl } from './relay-url.ts';

/** Least time between two fetches of the key chain, but for a new connection's. */
export const TRUST_REFRESH_MS = 10_000;

/** Sorted key ids of the pinned keys: what a trust root is bound to. */
async function pinnedIds(pinned: string | readonly string[]): Promise<string[]> {
  const keys = typeof pinned === 'string' ? [pinned] : pinned;
  return (await Promise.all(keys.map((k) => keyIdOf(k)))).sort();
}

/**
 * Where trust starts: the stored root when it was reached from these same pinned keys (its own
 * signatures are checked again), else the pinned keys alone.
 */
export async function startingTrust(
  room: string,
  pinned: string | readonly string[],
  root: TrustRoot | undefined,
): Promise<KeySetState> {
  const ids = await pinnedIds(pinned);
  if (root && root.pinned.join() === ids.join()) {
    const self = await acceptRotation(root.record, room, await pinnedState(root.record.keySet.keys));
    if (self.ok) return stateOf(root.record.keySet);
  }
  return pinnedState(typeof pinned === 'string' ? [pinned] : pinned);
}

/** The trusted keys from the pinned keys and the stored root (see {@link startingTrust}). */
export async function computeTrust(
  room: string,
  pinned: string | readonly string[],
  root: TrustRoot | undefined,
): Promise<TrustedKeys> {
  return (await startingTrust(room, pinned, root)).keys;
}

/**
 * Checks a release read back from the cache: right room, trusted key, good signature. Expiry is
 * not checked: it guards against taking an old release as *new*, and this one was taken already.
 */
export async function verifyCachedRelease(
  signed: SignedRelease,
  room: string,
  trusted: TrustedKeys,
): Promise<boolean> {
  const key = trusted.get(signed.release.keyId);
  return signed.release.room === room && key !== undefined && verifyReleaseSignature(signed, key);
}

/** Fetches all of a room's rotation records from the relay (`GET /api/rooms/:room/keys`); [] on any failure. */
export async function fetchRotations(server: string, room: string): Promise<unknown[]> {
  try {
    const response = await fetch(relayUrl(server, ApiPath.keys(room)), { cache: 'no-store' });
    if (!response.ok) return [];
    const parsed = parseKeysBody(await response.json());
    return parsed.ok && parsed.value.room === room ? parsed.value.rotations : [];
  } catch {
    return [];
  }
}

/**
 * True when trust at `state` stands at the relay's newest key-set record (`rotationVersion`, 0: it
 * holds none): fetching the chain could bring nothing newer.
 */
export function holdsNewest(state: Pick<KeySetState, 'version'>, rotationVersion: number): boolean {
  return rotationVersion === 0 || (state.version !== null && state.version >= rotationVersion);
}

/** Why the client looks at the key chain again (see {@link RoomTrust.refresh}). */
export type TrustRefreshReason = 'connect' | 'key-change' | 'unknown-key' | 'release' | 'key-set-expired';

/**
 * The keys the client trusts, kept: computed from the pinned keys and the stored trust root on first
 * use, moved on when the relay serves records that continue the chain.
 */
export class RoomTrust {
  private state: KeySetState | null = null;
  private readonly refreshedAt = new Map<TrustRefreshReason, number>();
  /** When the chain was last fetched, for any reason. */
  private fetchedAt = -Infinity;
  private inFlight: Promise<TrustRoot | null> | null = null;

  constructor(
    private readonly room: string,
    private readonly pinned: string | readonly string[],
    private readonly fetchRecords: () => Promise<unknown[]>,
  ) {}

  /** Sets the trust computed elsewhere (at boot). */
  set(state: KeySetState): void {
    this.state = state;
  }

  private async current(root: TrustRoot | undefined): Promise<KeySetState> {
    this.state ??= await startingTrust(this.room, this.pinned, root);
    return this.state;
  }

  /** The keys trusted now. */
  async keys(root: TrustRoot | undefined): Promise<TrustedKeys> {
    return (await this.current(root)).keys;
  }

  /** `KEY_SET_EXPIRED` when the newest key set the player knows is past its signed expiry. */
  async expiry(root: TrustRoot | undefined, now: number): Promise<Result<null>> {
    return checkKeySetExpiry(await this.current(root), now);
  }

  /**
   * Fetches the rotation records again and walks on from where trust stands; when that reached a
   * newer key set, takes it and returns the new root (to be stored with the room's state), else null.
   * Why it is asked decides how often: `connect` (a reconnecting player learns of removed keys) and
   * `key-change` (a release was taken that another key signed than the one before: only a trusted
   * key can make that happen) always; `release` (a release was taken: a connected player learns of
   * a removal by the next publishes) and `unknown-key` (a release by a key not trusted yet, which
   * anyone can send) and `key-set-expired` (the newest set it knows expired: a renewal may be out)
   * each at most every {@link TRUST_REFRESH_MS}; `release` not at all within that of any fetch (the
   * one a reconnect just made covers the release it catches up on: after a relay restart, a thousand
   * players would otherwise each fetch the chain twice in the same second).
   * A call while a fetch is under way shares its outcome.
   *
   * `relayRotation` (a `connect`'s: the welcome's `rotationVersion`) is the version of the newest
   * record the relay holds, 0 for none: when trust stands there already (or, at 0, anywhere), the
   * fetch is skipped — it could bring nothing newer — and counts as made (after a relay restart, a
   * thousand players would otherwise each fetch an unchanged chain as they come back).
   */
  refresh(
    root: TrustRoot | undefined,
    why: TrustRefreshReason,
    relayRotation?: number,
  ): Promise<TrustRoot | null> {
    if (this.inFlight) return this.inFlight;
    const now = Date.now();
    if (why === 'release' && now - this.fetchedAt < TRUST_REFRESH_MS) return Promise.resolve(null);
    if (why === 'unknown-key' || why === 'release' || why === 'key-set-expired') {
      if (now - (this.refreshedAt.get(why) ?? -Infinity) < TRUST_REFRESH_MS) return Promise.resolve(null);
      this.refreshedAt.set(why, now);
    }
    this.fetchedAt = now;
    this.inFlight = this.walkOn(root, relayRotation).finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  /** Resolves when no fetch of the chain is under way (a release is checked against its outcome). */
  async settled(): Promise<void> {
    await this.inFlight?.catch(() => null);
  }

  private async walkOn(root: TrustRoot | undefined, relayRotation?: number): Promise<TrustRoot | null> {
    if (relayRotation !== undefined && holdsNewest(await this.current(root), relayRotation)) return null;
    const fetched = await this.fetchRecords();
    const from = await this.current(root);
    const walked = await walkChain(from, fetched, this.room);
    if (walked.last === null || this.state !== from) return null; // nothing new, or moved meanwhile
    this.state = walked.state;
    return { pinned: await pinnedIds(this.pinned), record: walked.last };
  }
}
