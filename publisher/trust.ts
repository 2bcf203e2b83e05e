/**
 * Whose releases a publisher builds on. A publish carries the live release's slots over and a
 * rollback copies an older release's, both signed again with the publisher's key — so both happen only
 * when a key the publisher trusts signed the base, or a relay could choose what that key signs.
 */
import { ErrorCode, fail, ok, type Result } from '../protocol/errors.ts';
import { extendTrust, trustKeys, type TrustedKeys } from '../protocol/keys.ts';
import { verifyReleaseSignature, type SignedRelease } from '../protocol/release.ts';

/**
 * The keys a publisher trusts for a room: the room's current key set as reached from its own key and
 * any pinned room keys along the rotation records a relay serves (each checked with
 * `acceptRotation`; the relay's own key list is never taken on its word), plus its own key and the
 * pinned ones — keys the publisher vouches for itself (its keys from before a rotation), even once
 * the room removed them. After a key theft, don't pin the stolen key.
 */
export async function publisherTrust(
  room: string,
  ownPublicKey: string,
  pinned: readonly string[],
  rotations: readonly unknown[],
): Promise<TrustedKeys> {
  const own = await trustKeys([ownPublicKey, ...pinned]);
  return new Map([...(await extendTrust(own, rotations, room)), ...own]);
}

/**
 * Checks a release fetched from a relay before building on it: it must be of this room and signed by
 * a key the publisher trusts.
 */
export async function checkBase(
  candidate: SignedRelease,
  room: string,
  trusted: TrustedKeys,
): Promise<Result<SignedRelease>> {
  if (candidate.release.room !== room) {
    return fail(ErrorCode.WRONG_ROOM, `the relay's release is for room "${candidate.release.room}"`);
  }
  const publicKey = trusted.get(candidate.release.keyId);
  if (publicKey === undefined) {
    return fail(
      ErrorCode.UNKNOWN_KEY,
      `seq ${candidate.release.seq} is signed by key ${candidate.release.keyId}, which this key does not trust`,
    );
  }
  if (!(await verifyReleaseSignature(candidate, publicKey).catch(() => false))) {
    return fail(ErrorCode.BAD_SIGNATURE, `seq ${candidate.release.seq}'s signature does not verify`);
  }
  return ok(candidate);
}
