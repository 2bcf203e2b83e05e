/**
 * One link to another player, as the swarm sees it: what the other side holds, what we asked it
 * for, and an upload queue that respects the data channel's `bufferedAmount`.
 */

/** A data channel to another player, whatever carries it (PeerJS, node-datachannel, a simulated link). */
export interface PeerLink {
  /** The other player's id (its PeerJS id). */
  readonly id: string;
  /** Sends a control message (text) or a chunk frame (binary). */
  send(data: string | Uint8Array): void;
  /** Bytes handed to the channel and not yet sent. */
  bufferedAmount(): number;
  /** Closes the link; `attach`'s `close` handler runs once. */
  close(): void;
  /** Registers the swarm's handlers, once, right after the swarm takes the link. */
  attach(handlers: PeerLinkHandlers): void;
}

/** What a link tells the swarm. */
export interface PeerLinkHandlers {
  message(data: string | Uint8Array): void;
  /** The channel's buffer fell below its low-water mark. */
  drain(): void;
  close(): void;
}

/**
 * Bounds on what we remember of a peer's claims, so that a peer can't grow our memory by naming
 * endless blobs or chunk indexes: at most this many blobs (the oldest forgotten first)…
 */
const MAX_BLOBS_TRACKED = 16;
/** …and chunk indexes below this (the most chunks a slot may have: 12 MiB in 1 KiB chunks). */
export const MAX_CHUNK_INDEX = 12 * 1024;
/** Requests to one peer past their deadline whose late answer we still take (the oldest forgotten first). */
const MAX_LATE_ASKS = 64;

/** Remembers `key` in a map bounded to {@link MAX_BLOBS_TRACKED} entries, oldest out first. */
function bounded<V>(map: Map<string, V>, key: string, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    if (map.size >= MAX_BLOBS_TRACKED) map.delete(map.keys().next().value!);
    map.set(key, (value = make()));
  }
  return value;
}

/** Swarm-side state of one link. */
export class PeerState {
  readonly link: PeerLink;
  /** Seq the other side last said it holds. */
  seq = 0;
  /** It said `peer.hello` (a later one means it now fetches through the swarm: `Swarm.onMessage`). */
  greeted = false;
  /** Chunks the other side holds, by blob. */
  readonly has = new Map<string, Set<number>>();
  /** Blobs the other side holds whole (it may say so before we know the blob's chunk count). */
  private readonly hasAll = new Map<string, true>();
  /** Chunks it said it can't give (busy, or timed out): not asked again until the time given. */
  private readonly refused = new Map<string, Map<number, number>>();
  /** Our requests to it in flight. */
  inflight = 0;
  /** Chunks it delivered to us that passed their hash check: its record (see `peer-score.ts`). */
  delivered = 0;
  /** Requests of ours it failed (refused a chunk it claimed, let time out), less one per delivery. */
  strikes = 0;
  /** When it last answered one of our requests with a chunk frame (its answers come in the order asked). */
  lastAnswerAt = -Infinity;
  /** When the request it last answered was asked: an answer to a later one means it skipped ours. */
  lastAnsweredAskedAt = -Infinity;
  /** When a request to it last struck (requests asked before that strike, stuck behind the same stall, do not). */
  lastTimeoutAt = -Infinity;
  /** Requests of ours to it that passed their deadline (`sha256:index`): a late answer is still taken. */
  readonly late = new Set<string>();
  /** Frames waiting for the channel's buffer to drain. */
  private readonly queue: Uint8Array[] = [];
  private readonly highWater: number;

  constructor(link: PeerLink, highWater: number) {
    this.link = link;
    this.highWater = highWater;
  }

  /** True when the other side said it holds chunk `index` of `sha256` and may be asked for it now. */
  holds(sha256: string, index: number, now: number): boolean {
    if ((this.refused.get(sha256)?.get(index) ?? 0) > now) return false;
    return this.claims(sha256, index);
  }

  /** Remembers a request of ours that passed its deadline: its answer, if it comes, is still taken. */
  askedLate(sha256: string, index: number): void {
    this.late.add(`${sha256}:${index}`);
    if (this.late.size > MAX_LATE_ASKS) this.late.delete(this.late.values().next().value!);
  }

  /** True when the other side told us it holds chunk `index` of `sha256` (refused or not). */
  claims(sha256: string, index: number): boolean {
    return this.hasAll.has(sha256) || (this.has.get(sha256)?.has(index) ?? false);
  }

  /** Records that the other side can't give a chunk before `until` (it said `peer.none`, or timed out). */
  unlearn(sha256: string, index: number, until: number): void {
    if (index >= MAX_CHUNK_INDEX) return;
    bounded(this.refused, sha256, () => new Map<number, number>()).set(index, until);
  }

  /** True when the other side said it holds all of `sha256`. */
  holdsWhole(sha256: string): boolean {
    return this.hasAll.has(sha256);
  }

  /** Records that the other side holds a whole blob. */
  learnAll(sha256: string): void {
    bounded(this.hasAll, sha256, () => true);
  }

  /** Records that the other side holds chunks of a blob. */
  learn(sha256: string, indexes: Iterable<number>): void {
    const set = bounded(this.has, sha256, () => new Set<number>());
    const refused = this.refused.get(sha256);
    for (const i of indexes) {
      if (i >= MAX_CHUNK_INDEX) continue;
      set.add(i);
      refused?.delete(i);
    }
  }

  /** Uploads waiting in our queue. */
  get queued(): number {
    return this.queue.length;
  }

  /** Sends a chunk frame now if the channel has room, else queues it until `drain`. */
  sendFrame(frame: Uint8Array): void {
    if (this.queue.length === 0 && this.link.bufferedAmount() < this.highWater) this.link.send(frame);
    else this.queue.push(frame);
  }

  /** Moves queued frames into the channel while it has room. */
  flush(): void {
    while (this.queue.length > 0 && this.link.bufferedAmount() < this.highWater) {
      this.link.send(this.queue.shift()!);
    }
  }
}
