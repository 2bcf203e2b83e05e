import { AckStatus, type Ack, type HeldSlot } from '../../protocol/messages.js';
import type { RoomState } from './schema.js';
import type { ApplyOutcome } from './apply.js';
/** How the player gets its patches now. */
export type ConnectionMode = 'relay' | 'peer' | 'offline';
/** What `status()` returns (and `window.patchcast.status()` on the demo page). */
export interface PatchStatus {
    readonly room: string;
    /** Seq of the newest release accepted (0 for none). */
    readonly seq: number;
    /** What each slot holds and applies now. */
    readonly slots: Readonly<Record<string, HeldSlot>>;
    readonly mode: ConnectionMode;
    readonly peers: number;
    readonly bytesFromRelay: number;
    readonly bytesFromPeers: number;
    readonly lastError: string | null;
    /** This player's client id (from the cache, else from the relay's `welcome`; null before either). */
    readonly clientId: string | null;
    /** The release being fetched, with verified bytes so far (null when idle). */
    readonly loading: {
        readonly seq: number;
        readonly received: number;
        readonly total: number;
    } | null;
}
/** One slot's outcome in an `applied` event (`error` also carries the reason of a skip). */
export interface SlotOutcome extends HeldSlot {
    readonly status: AckStatus;
    readonly error?: string;
}
/** Detail of the `applied` event: a release (or the cache at boot) was applied. */
export interface AppliedDetail {
    readonly seq: number;
    readonly version: string;
    readonly fromCache: boolean;
    readonly slots: Readonly<Record<string, SlotOutcome>>;
}
/** Detail of the `refused` event: a release (from the relay or a peer) was refused. */
export interface RefusedDetail {
    readonly code: string;
    readonly message: string;
}
/** Detail of the `connected` event: the relay welcomed this player. */
export interface ConnectedDetail {
    /** The id the relay lists this connection under. */
    readonly clientId: string;
    /** The room's newest seq at the relay. */
    readonly seq: number;
}
/** Detail of the `disconnected` event: a connection closed, or a dial failed. */
export interface DisconnectedDetail {
    readonly code: number;
    readonly reason: string;
    /** When the client dials again (null: it was closed for good). */
    readonly retryInMs: number | null;
}
/**
 * Checks the detail of an `applied` event: an event's `detail` is `any` to TypeScript, and anyone
 * can dispatch an event on the client.
 */
export declare const parseAppliedDetail: import("../../protocol/validate.js").Validator<{
    seq: number;
    version: string;
    fromCache: boolean;
    slots: {
        [x: string]: {
            status: "applied" | "failed" | "skipped";
            error?: string;
            version: string;
            sha256: string;
        };
    };
}, "BAD_MESSAGE">;
/** What each slot holds now: the top of its history. */
export declare function heldSlots(state: RoomState): Record<string, HeldSlot>;
/** The `ack` of one slot's outcome (a skip's reason goes in `error` too). */
export declare function ackOf(seq: number, name: string, content: HeldSlot, outcome: ApplyOutcome): Ack;
