/**
 * What a slot holds after the game dropped its content at run time (a logic script that failed once
 * running). The game says what it runs instead: one of the older contents the slot holds (the
 * history is cut back to it), or its built-in content. The built-in one is what a game falls back to
 * after a reload, too — at boot it was given only the newest content — so then the client installs
 * the next content the slot holds, from the cache, verified and applied again as at boot; only when
 * none of them applies does the slot hold nothing.
 */
import type { TrustedKeys } from '../../protocol/keys.js';
import type { PatchCache } from './cache.js';
import type { HeldEntry, RoomState } from './schema.js';
import type { PatchHandlers } from './apply.js';
/** The slot's history after its content `failedSha256` failed; `nowRunning` is null for built-in content. */
export declare function heldAfterFailure(input: {
    readonly room: string;
    readonly cache: PatchCache;
    readonly handlers: PatchHandlers;
    readonly trusted: TrustedKeys;
    readonly slot: string;
    readonly entries: readonly HeldEntry[];
    readonly failedSha256: string;
    readonly nowRunning: string | null;
}): Promise<HeldEntry[]>;
/**
 * The room's state after a slot's content failed at run time: the slot's history as
 * {@link heldAfterFailure} leaves it, and the blob remembered as failed unless `transient` (a
 * timeout, which a starved machine can cause).
 */
export declare function stateAfterFailure(input: Omit<Parameters<typeof heldAfterFailure>[0], 'entries'> & {
    readonly state: RoomState;
    readonly error: string;
    readonly transient: boolean;
}): Promise<RoomState>;
