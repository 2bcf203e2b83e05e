import type { TrustedKeys } from '../../protocol/keys.js';
import type { SignedRelease } from '../../protocol/release.js';
import type { PatchCache } from './cache.js';
import { type HeldEntry, type RoomState } from './schema.js';
import { type ApplyOutcome, type PatchHandlers } from './apply.js';
import type { SlotOutcome } from './status.js';
/** What booting found. */
export interface BootResult {
    readonly state: RoomState;
    readonly trusted: TrustedKeys;
    /** The newest release held, verified (null for an empty or unusable cache). */
    readonly latest: SignedRelease | null;
    readonly outcomes: Readonly<Record<string, SlotOutcome>>;
    /** The verified bytes of each slot applied, by hash (the swarm serves them to peers). */
    readonly blobs: ReadonlyMap<string, Uint8Array>;
    /** Why the cache was not used, if it wasn't. */
    readonly error: string | null;
}
/** Reads, verifies and applies the cache of `room`. Never throws. */
export declare function bootFromCache(input: {
    readonly room: string;
    readonly publicKey: string | readonly string[];
    readonly cache: PatchCache;
    readonly handlers: PatchHandlers;
}): Promise<BootResult>;
/** Applies one held content again from the cache, verified again (at boot, and after a run-time failure). */
export declare function applyHeldEntry(input: {
    readonly room: string;
    readonly cache: PatchCache;
    readonly handlers: PatchHandlers;
}, name: string, entry: HeldEntry, trusted: TrustedKeys, latest: SignedRelease | null): Promise<{
    readonly outcome: ApplyOutcome;
    readonly bytes: Uint8Array;
} | null>;
