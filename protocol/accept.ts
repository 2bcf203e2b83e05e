/**
 * The one decision every receiver makes: take this release as the room's new state, or refuse it and
 * say why. The relay calls it before storing, the Node client and the player before applying, and
 * peers before passing a release on.
 */
import { ErrorCode, fail, ok, type Result } from './errors.ts';
import { chunkCount } from './blobs.ts';
import { MAX_CLOCK_SKEW_MS, MAX_CONFIG_BYTES, MAX_SCRIPT_BYTES, MAX_TEXTURE_BYTES } from './limits.ts';
import {
  parseSignedRelease,
  verifyReleaseSignature,
  type Release,
  type SignedRelease,
  type Slot,
} from './release.ts';
import type { TrustedKeys } from './keys.ts';

/** The codes {@link acceptRelease} refuses with. */
export type RefusalCode =
  | typeof ErrorCode.BAD_RELEASE
  | typeof ErrorCode.WRONG_ROOM
  | typeof ErrorCode.UNKNOWN_KEY
  | typeof ErrorCode.BAD_SIGNATURE
  | typeof ErrorCode.STALE_SEQ
  | typeof ErrorCode.EXPIRED
  | typeof ErrorCode.FROM_FUTURE
  | typeof ErrorCode.BAD_SLOT;

/** What {@link acceptRelease} needs to know. */
export interface AcceptInput {
  /** The candidate, straight from the wire: it is validated here. */
  readonly candidate: unknown;
  /** The room the receiver is in. */
  readonly room: string;
  /** Keys the room trusts (key id → public key). */
  readonly trustedKeys: TrustedKeys;
  /** The release the receiver holds now, or null. Its `seq` is the floor. */
  readonly current: Pick<Release, 'seq'> | null;
  /** Now, in milliseconds since the epoch. */
  readonly now: number;
  /** Allowed clock skew for `createdAt` (default {@link MAX_CLOCK_SKEW_MS}). */
  readonly maxSkewMs?: number;
}

const MAX_BYTES_BY_KIND: Record<Slot['kind'], number> = {
  script: MAX_SCRIPT_BYTES,
  texture: MAX_TEXTURE_BYTES,
  config: MAX_CONFIG_BYTES,
};

/** Checks the meaning of one slot: size within its kind's limit, chunk list that fits the size. */
export function checkSlot(name: string, slot: Slot): Result<Slot, typeof ErrorCode.BAD_SLOT> {
  const max = MAX_BYTES_BY_KIND[slot.kind];
  if (slot.size > max)
    return fail(
      ErrorCode.BAD_SLOT,
      `slot ${name}: ${slot.size} bytes is over the ${slot.kind} limit of ${max}`,
    );
  const expected = chunkCount(slot.size, slot.chunkSize);
  if (slot.chunks.length !== expected) {
    return fail(
      ErrorCode.BAD_SLOT,
      `slot ${name}: ${slot.chunks.length} chunk hashes for ${expected} chunks`,
    );
  }
  if (slot.chunks.length === 1 && slot.chunks[0] !== slot.sha256) {
    return fail(ErrorCode.BAD_SLOT, `slot ${name}: a one-chunk blob's chunk hash must equal its hash`);
  }
  return { ok: true, value: slot };
}

/**
 * Decides whether to accept `candidate` as the room's new release. Checks, in this order: structure,
 * room, key id trusted, signature, `seq` strictly above the current one, not expired, `createdAt` not
 * beyond the allowed skew, every slot well-formed. Returns the release, or the first refusal with its
 * code. Pure apart from the WebCrypto verify; never throws.
 */
export async function acceptRelease(input: AcceptInput): Promise<Result<SignedRelease, RefusalCode>> {
  const parsed = parseSignedRelease(input.candidate);
  if (!parsed.ok) return fail(ErrorCode.BAD_RELEASE, parsed.message);
  const signed = parsed.value;
  const { release } = signed;

  if (release.room !== input.room) {
    return fail(ErrorCode.WRONG_ROOM, `release is for room "${release.room}", not "${input.room}"`);
  }
  const publicKey = input.trustedKeys.get(release.keyId);
  if (publicKey === undefined)
    return fail(ErrorCode.UNKNOWN_KEY, `key ${release.keyId} is not trusted in this room`);
  // The schema admits only canonicalizable strings, so this cannot throw; if it ever does, the
  // release is refused rather than the caller crashed ("never throws", above).
  const verified = await verifyReleaseSignature(signed, publicKey).catch(() => false);
  if (!verified) {
    return fail(ErrorCode.BAD_SIGNATURE, `signature does not verify under key ${release.keyId}`);
  }
  const floor = input.current?.seq ?? 0;
  if (release.seq <= floor) return fail(ErrorCode.STALE_SEQ, `seq ${release.seq} is not above ${floor}`);

  const expiresAt = Date.parse(release.expiresAt);
  if (expiresAt <= input.now) return fail(ErrorCode.EXPIRED, `release expired at ${release.expiresAt}`);
  const createdAt = Date.parse(release.createdAt);
  if (createdAt > input.now + (input.maxSkewMs ?? MAX_CLOCK_SKEW_MS)) {
    return fail(ErrorCode.FROM_FUTURE, `release created at ${release.createdAt}, in the future`);
  }
  if (expiresAt <= createdAt) return fail(ErrorCode.EXPIRED, 'release expires before it was created');

  for (const [name, slot] of Object.entries(release.slots)) {
    const checked = checkSlot(name, slot);
    if (!checked.ok) return checked;
  }
  return ok(signed);
}
