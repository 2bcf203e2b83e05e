/**
 * Which keys the player trusts for its room: the one pinned in its URL, extended along the key
 * rotation records the relay hands out (each signed by a key already trusted; the relay can't add
 * keys on its own). Also the check a cached release gets at boot.
 */
import { type TrustedKeys } from '../../protocol/keys.js';
import { type SignedRelease } from '../../protocol/release.js';
/** The pinned key, extended by `rotations`. */
export declare function computeTrust(room: string, pinned: string | readonly string[], rotations: readonly unknown[]): Promise<TrustedKeys>;
/**
 * Checks a release read back from the cache: right room, trusted key, good signature. Expiry is
 * not checked: it guards against taking an old release as *new*, and this one was taken already.
 */
export declare function verifyCachedRelease(signed: SignedRelease, room: string, trusted: TrustedKeys): Promise<boolean>;
/** Fetches a room's rotation records from the relay (`GET /api/rooms/:room/keys`); [] on any failure. */
export declare function fetchRotations(server: string, room: string): Promise<unknown[]>;
/**
 * The keys the client trusts, kept: computed from the pinned key and the stored rotations on first
 * use, extended when the relay serves rotation records that reach a new key.
 */
export declare class RoomTrust {
    private readonly room;
    private readonly pinned;
    private readonly fetchRecords;
    private trusted;
    private refreshedAt;
    constructor(room: string, pinned: string | readonly string[], fetchRecords: () => Promise<unknown[]>);
    /** Sets the trust computed elsewhere (at boot). */
    set(trusted: TrustedKeys): void;
    /** The keys trusted: the pinned key extended by `rotations` (computed once). */
    keys(rotations: readonly unknown[]): Promise<TrustedKeys>;
    /**
     * Fetches rotation records again (at most every 10 s); when they make the trust set grow, takes
     * it and returns them (to be stored with the room's state), else null.
     */
    refresh(rotations: readonly unknown[]): Promise<unknown[] | null>;
}
