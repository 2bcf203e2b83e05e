import type { SignedRelease } from '../../protocol/release.js';
import type { RoomState } from './schema.js';
/** What the patch client needs from a cache (see the file comment). */
export interface PatchCache {
    /** This player's client id, created on first use and kept. */
    clientId(): Promise<string>;
    /**
     * The secret that goes with the client id, created on first use and kept beside it: the relay gives
     * the id only to a hello that says it, so nobody else can take the id over. A cache without it
     * connects without a secret (the relay then binds nothing).
     */
    clientSecret?(): Promise<string>;
    /** The room's state, or an empty one (also when what is stored doesn't validate). */
    state(room: string): Promise<RoomState>;
    /** A stored release, structure-checked (its signature is the caller's to verify), or null. */
    release(room: string, seq: number): Promise<SignedRelease | null>;
    /** A stored blob (the caller verifies its hash), or null. */
    blob(room: string, sha256: string): Promise<Uint8Array | null>;
    /**
     * Writes `state`, the given releases and blobs, and deletes the room's releases and blobs that
     * `state` no longer references — atomically.
     */
    commit(room: string, update: CacheUpdate): Promise<void>;
}
/** One atomic write: the new state and what it needs that the cache may not have yet. */
export interface CacheUpdate {
    readonly state: RoomState;
    readonly releases: readonly SignedRelease[];
    readonly blobs: ReadonlyMap<string, Uint8Array>;
}
/** A new random client id: `p-` and 12 hex digits. */
export declare function newClientId(): string;
/** A new random client secret: 32 random bytes, base64url (43 characters). */
export declare function newClientSecret(): string;
/** True for a stored client secret of the right shape (else the cache makes a new one). */
export declare function isClientSecret(value: unknown): value is string;
/** What a room's state needs kept: the newest release, and each held entry's release and blob. */
export declare function referenced(state: RoomState): {
    readonly releases: Set<number>;
    readonly blobs: Set<string>;
};
