/**
 * Which keys the player trusts for its room: the one pinned in its URL, extended along the key
 * rotation records the relay hands out (each signed by a key already trusted; the relay can't add
 * keys on its own). Also the check a cached release gets at boot.
 */
import { extendTrust, trustKeys, type TrustedKeys } from '../../protocol/keys.ts';
import { verifyReleaseSignature, type SignedRelease } from '../../protocol/release.ts';
import { ApiPath, parseKeysBody } from '../../protocol/http.ts';
import { MAX_ROTATIONS } from './schema.ts';
import { relayUrl } from './relay-url.ts';

/** The pinned key, extended by `rotations`. */
export async function computeTrust(
  room: string,
  pinned: string | readonly string[],
  rotations: readonly unknown[],
): Promise<TrustedKeys> {
  return extendTrust(await trustKeys(typeof pinned === 'string' ? [pinned] : pinned), rotations, room);
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

/** Fetches a room's rotation records from the relay (`GET /api/rooms/:room/keys`); [] on any failure. */
export async function fetchRotations(server: string, room: string): Promise<unknown[]> {
  try {
    const response = await fetch(relayUrl(server, ApiPath.keys(room)), { cache: 'no-store' });
    if (!response.ok) return [];
    const parsed = parseKeysBody(await response.json());
    return parsed.ok && parsed.value.room === room ? parsed.value.rotations.slice(0, 64) : [];
  } catch {
    return [];
  }
}

/**
 * The keys the client trusts, kept: computed from the pinned key and the stored rotations on first
 * use, extended when the relay serves rotation records that reach a new key.
 */
export class RoomTrust {
  private trusted: TrustedKeys | null = null;
  private refreshedAt = -Infinity;

  constructor(
    private readonly room: string,
    private readonly pinned: string | readonly string[],
    private readonly fetchRecords: () => Promise<unknown[]>,
  ) {}

  /** Sets the trust computed elsewhere (at boot). */
  set(trusted: TrustedKeys): void {
    this.trusted = trusted;
  }

  /** The keys trusted: the pinned key extended by `rotations` (computed once). */
  async keys(rotations: readonly unknown[]): Promise<TrustedKeys> {
    this.trusted ??= await computeTrust(this.room, this.pinned, rotations);
    return this.trusted;
  }

  /**
   * Fetches rotation records again (at most every 10 s); when they make the trust set grow, takes
   * it and returns them (to be stored with the room's state), else null.
   */
  async refresh(rotations: readonly unknown[]): Promise<unknown[] | null> {
    const now = Date.now();
    if (now - this.refreshedAt < 10_000) return null;
    this.refreshedAt = now;
    const fetched = await this.fetchRecords();
    const before = (await this.keys(rotations)).size;
    const trusted = await computeTrust(this.room, this.pinned, fetched);
    if (trusted.size <= before) return null;
    this.trusted = trusted;
    return fetched.slice(0, MAX_ROTATIONS);
  }
}
