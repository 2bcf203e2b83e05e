/**
 * Applying an accepted release whose blobs are all here and verified: each slot, in order, is
 * applied or skipped or failed; the result is the room's next state (with each slot's history and
 * the blobs known to fail) and what to keep in the cache. No I/O of its own but the game's handlers.
 */
import type { Slot, SignedRelease } from '../../protocol/release.js';
import { type RoomState } from './schema.js';
import { type ApplyOutcome, type PatchHandlers } from './apply.js';
import type { SlotOutcome } from './status.js';
/** The outcome of applying a release. */
export interface ReleaseOutcome {
    /** The room's state after the release. */
    readonly state: RoomState;
    /** Per slot, what happened (in apply order). */
    readonly slots: readonly (readonly [string, Slot, ApplyOutcome])[];
    readonly outcomes: Readonly<Record<string, SlotOutcome>>;
    /** Blobs of newly applied slots, for the cache. */
    readonly keepBlobs: ReadonlyMap<string, Uint8Array>;
}
/** Applies `signed` on top of `state`; `blobs` holds the verified bytes of every slot that changed. */
export declare function applyRelease(input: {
    readonly state: RoomState;
    readonly signed: SignedRelease;
    readonly blobs: ReadonlyMap<string, Uint8Array>;
    readonly handlers: PatchHandlers;
    readonly clientId: string;
}): Promise<ReleaseOutcome>;
/** Adds a failed blob to the remembered set, dropping the oldest past the bound. */
export declare function remember(failed: Readonly<Record<string, string>>, sha256: string, error: string): Record<string, string>;
/**
 * Whether a slot needs its blob fetched to apply the release on top of `state`: not what the slot
 * applies now, not known to fail, not a python script, and within its staged rollout for this player
 * (the same checks {@link applyRelease} makes before it looks at the bytes).
 */
export declare function needsBlob(state: RoomState, name: string, slot: Slot, clientId: string): Promise<boolean>;
