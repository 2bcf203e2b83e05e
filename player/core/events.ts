/**
 * The patch client's events, typed: `on(type, listener)` for code that wants the detail checked by
 * the compiler, and the same details as `CustomEvent`s on the `EventTarget` (the demo page listens
 * there). `status` (a plain `Event`) fires whenever the client's status changed.
 */
import type { AppliedDetail, ConnectedDetail, DisconnectedDetail, RefusedDetail } from './status.ts';

/** The events of the patch client and their details. */
export interface PatchEvents {
  /** A release from the network is on screen: every slot handled, the status moved on; not yet stored or acked. */
  readonly shown: AppliedDetail;
  /** A release is applied, stored and acked (or booted from the cache). */
  readonly applied: AppliedDetail;
  readonly refused: RefusedDetail;
  readonly connected: ConnectedDetail;
  readonly disconnected: DisconnectedDetail;
}

type Listener = (detail: PatchEvents[keyof PatchEvents]) => void;

/** An `EventTarget` with typed `on` and `emit` for {@link PatchEvents}. */
export class ClientEvents extends EventTarget {
  private readonly listeners = new Map<keyof PatchEvents, Set<Listener>>();

  /**
   * Listens to one kind of event, typed (the `CustomEvent`s carry the same details, but anyone may
   * dispatch on an `EventTarget`: these come from the client only). Returns the unsubscribe.
   */
  on<K extends keyof PatchEvents>(type: K, listener: (detail: PatchEvents[K]) => void): () => void {
    const set = this.listeners.get(type) ?? new Set();
    // (One map for every kind; each set only ever holds listeners of its own key.)
    const untyped = listener as Listener;
    set.add(untyped);
    this.listeners.set(type, set);
    return () => set.delete(untyped);
  }

  /** Fires `type` with `detail`, as a `CustomEvent` and to the typed listeners. */
  protected emit<K extends keyof PatchEvents>(type: K, detail: PatchEvents[K]): void {
    this.dispatchEvent(new CustomEvent<PatchEvents[K]>(type, { detail }));
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener(detail);
  }

  /** Fires `status`. */
  protected emitStatus(): void {
    this.dispatchEvent(new Event('status'));
  }
}
