/**
 * The patch client's events, typed: `on(type, listener)` for code that wants the detail checked by
 * the compiler, and the same details as `CustomEvent`s on the `EventTarget` (the demo page listens
 * there). `status` (a plain `Event`) fires whenever the client's status changed.
 */
import type { AppliedDetail, ConnectedDetail, DisconnectedDetail, RefusedDetail } from './status.js';
/** The events of the patch client and their details. */
export interface PatchEvents {
    readonly applied: AppliedDetail;
    readonly refused: RefusedDetail;
    readonly connected: ConnectedDetail;
    readonly disconnected: DisconnectedDetail;
}
/** An `EventTarget` with typed `on` and `emit` for {@link PatchEvents}. */
export declare class ClientEvents extends EventTarget {
    private readonly listeners;
    /**
     * Listens to one kind of event, typed (the `CustomEvent`s carry the same details, but anyone may
     * dispatch on an `EventTarget`: these come from the client only). Returns the unsubscribe.
     */
    on<K extends keyof PatchEvents>(type: K, listener: (detail: PatchEvents[K]) => void): () => void;
    /** Fires `type` with `detail`, as a `CustomEvent` and to the typed listeners. */
    protected emit<K extends keyof PatchEvents>(type: K, detail: PatchEvents[K]): void;
    /** Fires `status`. */
    protected emitStatus(): void;
}
