/**
 * Several relay addresses for one player (`patchcast play --tcp A,B`, `&server=A,B` in the player
 * URL): the connection dials the current one, and when that one dies — the dial fails, the relay
 * closes, goes silent or says it is shutting down — moves at once to the next address it has not
 * tried since its last `welcome`. Only when every address failed in a row does the usual wait apply
 * (the backoff, or a relay's restart hint). Behind a load balancer one address is enough.
 */
import type { ConnectTransport } from './transport.ts';

/** The most a failover waits before dialling the next address: a jitter, so a dead relay's players spread. */
export const FAILOVER_JITTER_MS = 250;

/** The addresses of a player's relays, and which one it uses now. */
export class RelayList {
  private readonly connects: readonly ConnectTransport[];
  private index = 0;
  /** Addresses tried since the last `welcome` (the current one included). */
  private tried = 1;

  constructor(connect: ConnectTransport | readonly ConnectTransport[]) {
    this.connects = typeof connect === 'function' ? [connect] : [...connect];
    if (this.connects.length === 0) throw new RangeError('a player needs at least one relay address');
  }

  /** How many addresses there are. */
  get size(): number {
    return this.connects.length;
  }

  /** Which address is current (0-based, in the order given). */
  get current(): number {
    return this.index;
  }

  /** Dials the current address. */
  readonly connect: ConnectTransport = (handlers) => this.connects[this.index]!(handlers);

  /** The current address works (`welcome`): a later failure starts a new round. */
  welcomed(): void {
    this.tried = 1;
  }

  /**
   * The current address failed. Moves to the next one and returns true when it was not tried in
   * this round (dial it at once); false when every address failed in a row (wait, then go on).
   */
  failed(): boolean {
    if (this.connects.length === 1) return false;
    this.index = (this.index + 1) % this.connects.length;
    if (this.tried < this.connects.length) {
      this.tried++;
      return true;
    }
    this.tried = 1;
    return false;
  }
}
