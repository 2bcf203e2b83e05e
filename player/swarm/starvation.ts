/**
 * Starvation: a download that has peers and gets nothing from them for `starvedAfterMs` is starved.
 * The relay is told (`RelaySource.starved`, the `swarm.starved` message), asked as if we had no
 * peers, and serves us directly until peers deliver again ({@link STARVED_CLEAR_CHUNKS} verified
 * chunks from them). While the relay serves us at once we wait on nobody: not starved.
 */

/** Verified peer chunks that end a starvation (the relay may defer to our peers again). */
export const STARVED_CLEAR_CHUNKS = 4;

/** Whether the swarm's downloads are starved, and since when they have been waiting on peers. */
export class Starvation {
  private starved = false;
  /** Since when we have been waiting on peers: the first job's start, then the last peer chunk. */
  private waitSince = 0;
  /** Verified peer chunks since we said we were starved. */
  private fedSinceStarved = 0;
  /** When a verified chunk last came from a peer. */
  lastPeerChunkAt = -Infinity;

  /**
   * @param afterMs `starvedAfterMs`
   * @param tell tells the relay we are starved, or no longer (`RelaySource.starved`)
   */
  constructor(
    private readonly afterMs: number,
    private readonly tell: (starved: boolean) => void,
  ) {}

  /** True while we told the relay we are starved. */
  get isStarved(): boolean {
    return this.starved;
  }

  /** The first download starts: we wait on peers from `now`. */
  started(now: number): void {
    this.waitSince = now;
  }

  /**
   * We wait on peers from `now` at the earliest: a first link is up, or the relay began deferring us
   * (a player that links on demand dials only then, and its peers need the time to link and answer).
   */
  waitFrom(now: number): void {
    this.waitSince = Math.max(this.waitSince, now);
  }

  /**
   * Starved once we have peers, a download waits on them (`waiting`: the relay defers it to them),
   * and no chunk came from them for `afterMs`. Returns when to look again if not starved yet (null:
   * no need).
   */
  check(now: number, hasPeers: boolean, waiting: boolean): number | null {
    if (this.starved || !hasPeers || !waiting) return null;
    const at = this.waitSince + this.afterMs;
    if (now < at) return at;
    this.set(true);
    return null;
  }

  /** A verified chunk came from a peer. */
  fed(now: number): void {
    this.lastPeerChunkAt = now;
    this.waitSince = now;
    if (this.starved && ++this.fedSinceStarved >= STARVED_CLEAR_CHUNKS) this.set(false);
  }

  /** Says so to the relay when it changes (downloads done: no longer starved). */
  set(starved: boolean): void {
    if (this.starved === starved) return;
    this.starved = starved;
    this.fedSinceStarved = 0;
    this.tell(starved);
  }
}
