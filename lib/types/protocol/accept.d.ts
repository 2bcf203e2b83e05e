/**
 * The one decision every receiver makes: take this release as the room's new state, or refuse it and
 * say why. The relay calls it before storing, the Node client and the player before applying, and
 * peers before passing a release on.
 */
import { ErrorCode, type Result } from './errors.js';
import { type Release, type SignedRelease, type Slot } from './release.js';
import type { TrustedKeys } from './keys.js';
/** The codes {@link acceptRelease} refuses with. */
export type RefusalCode = typeof ErrorCode.BAD_RELEASE | typeof ErrorCode.WRONG_ROOM | typeof ErrorCode.UNKNOWN_KEY | typeof ErrorCode.BAD_SIGNATURE | typeof ErrorCode.STALE_SEQ | typeof ErrorCode.EXPIRED | typeof ErrorCode.FROM_FUTURE | typeof ErrorCode.BAD_SLOT;
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
/** Checks the meaning of one slot: size within its kind's limit, chunk list that fits the size. */
export declare function checkSlot(name: string, slot: Slot): Result<Slot, typeof ErrorCode.BAD_SLOT>;
/**
 * Decides whether to accept `candidate` as the room's new release. Checks, in this order: structure,
 * room, key id trusted, signature, `seq` strictly above the current one, not expired, `createdAt` not
 * beyond the allowed skew, every slot well-formed. Returns the release, or the first refusal with its
 * code. Pure apart from the WebCrypto verify; never throws.
 */
export declare function acceptRelease(input: AcceptInput): Promise<Result<SignedRelease, RefusalCode>>;
