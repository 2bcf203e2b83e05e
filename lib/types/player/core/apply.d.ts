import { type ConfigObject } from '../../protocol/config.js';
import type { ConfigSlot, ScriptSlot, Slot, TextureSlot } from '../../protocol/release.js';
/** How applying one slot went. */
export type ApplyOutcome = {
    readonly status: 'applied';
} | {
    readonly status: 'failed';
    readonly error: string;
    /**
     * The failure may not be the content's fault (a script timed out on a starved machine): it is
     * acked, but not remembered, so a later release naming the same blob tries it again.
     */
    readonly transient?: boolean;
} | {
    readonly status: 'skipped';
    readonly reason: string;
};
/** A slot to apply, with where it comes from. */
export interface SlotChange<S extends Slot = Slot> {
    readonly name: string;
    readonly slot: S;
    /** Seq of the release that names it. */
    readonly seq: number;
    /** True when applied from the cache at boot (no ack is sent for those). */
    readonly fromCache: boolean;
}
type Handler<S extends Slot, T> = (change: SlotChange<S>, content: T) => ApplyOutcome | Promise<ApplyOutcome>;
/** A slot that a new release no longer names, after it had applied content. */
export interface RemovedSlot {
    readonly name: string;
    /** Seq of the release that dropped it. */
    readonly seq: number;
    /** What the slot applied last (its version label and blob hash). */
    readonly previous: {
        readonly version: string;
        readonly sha256: string;
    };
}
/** What the game does with each kind of slot. A kind without a handler is skipped. */
export interface PatchHandlers {
    /** A JavaScript logic script (UTF-8 source). Python scripts are for seed clients: never passed. */
    readonly script?: Handler<ScriptSlot, string>;
    /** An image (PNG, JPEG or WebP bytes, `slot.mime`). */
    readonly texture?: Handler<TextureSlot, Uint8Array>;
    /** A config object (for `theme`, already checked against the theme schema). */
    readonly config?: Handler<ConfigSlot, ConfigObject>;
    /**
     * A slot the new release no longer names: the game goes back to what it does without it (the demo
     * shows the theme's plain colour when `background` goes, as the seed showed its colour with no
     * image). Called after the release's other slots were applied; a removal has no ack, and a
     * handler that throws changes nothing.
     */
    readonly removed?: (slot: RemovedSlot) => void | Promise<void>;
}
/** Decodes and applies one slot's verified blob through the matching handler. */
export declare function applySlot(handlers: PatchHandlers, change: SlotChange, bytes: Uint8Array): Promise<ApplyOutcome>;
/** Order in which a release's slots are applied: configs (cheap, visible), then textures, then scripts. */
export declare function applyOrder(a: Slot, b: Slot): number;
export {};
