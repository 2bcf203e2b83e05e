/**
 * The relay as the chunk scheduler sees it: how many requests are in flight to it, and what its
 * answers said lately — it deferred us to our peers (its egress is the bottleneck), it failed (no
 * connection, no answer in time), or it served a request it could have deferred (it has room). From
 * that, how many requests it may have in flight now: a full window while it serves at once (the swarm
 * must never be slower than the relay alone), a narrow one once it defers.
 */
import type { ResolvedSwarmOptions } from './swarm-options.ts';

/** What the relay's answers said lately, and the requests in flight to it. */
export class RelayWindow {
  /** Requests to the relay in flight now. */
  inflight = 0;
  /** When the relay last deferred a chunk to our peers (reset when it serves one: the window opens). */
  private deferredAt = -Infinity;
  /** When the relay last deferred a chunk to our peers (kept when it serves a first copy meanwhile). */
  private lastDeferralAt = -Infinity;
  /** When a relay request last failed (no connection, no answer in time; reset when it serves one). */
  private troubleAt = -Infinity;

  constructor(private readonly opts: ResolvedSwarmOptions) {}

  /**
   * The relay served a chunk. One it could have deferred (`mayDefer`) shows it has room: ask it a
   * full window again. (A request it may not defer — we are starved, or have no peers — says nothing
   * of its room.)
   */
  served(mayDefer: boolean): void {
    if (mayDefer) this.deferredAt = -Infinity;
    this.troubleAt = -Infinity;
  }

  /** The relay deferred a chunk to our peers. */
  deferred(now: number): void {
    this.deferredAt = now;
    this.lastDeferralAt = now;
  }

  /** A relay request failed (no connection, no answer in time). */
  failed(now: number): void {
    this.troubleAt = now;
  }

  /** True while the relay defers us to our peers (it may serve first copies meanwhile). */
  defers(now: number): boolean {
    return now < this.lastDeferralAt + this.opts.relayBusyMs;
  }

  /** True while the relay defers us to our peers (it is the bottleneck) or fails: ask it little. */
  busy(now: number): boolean {
    return this.defers(now) || now < this.troubleAt + this.opts.relayBusyMs;
  }

  /**
   * Requests the relay may have in flight now. Without peers, a full window. Starved, we are served
   * whatever the relay's load (it may not defer us): a starved window, a rescue while peers catch
   * up, not the whole blob — the relay deferred us because its egress is the bottleneck, and every
   * copy it sends a starved player is a copy the swarm could have carried. With peers, a narrow
   * window while the relay defers us and has served nothing deferrable since, else a full one.
   */
  limit(now: number, hasPeers: boolean, starved: boolean): number {
    const { relayInflightAlone, relayInflightStarved, relayInflightWithPeers, relayBusyMs } = this.opts;
    if (!hasPeers) return relayInflightAlone;
    if (starved) return relayInflightStarved;
    return now < this.deferredAt + relayBusyMs ? relayInflightWithPeers : relayInflightAlone;
  }
}
