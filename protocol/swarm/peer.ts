/**
 * One link to another player, as the swarm sees it: what the other side holds, what we asked it
 * for, and an upload queue that respects the data channel's `bufferedAmount`.
 */

/** A data channel to another player, whatever carries it (PeerJS, node-webrtc, a simulated link). */
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

/** Swarm-side state of one link. */
export class PeerState {
  readonly link: PeerLink;
  /** Seq the other side last said it holds. */
  seq = 0;
  /** Chunks the other side holds, by blob. */
  readonly has = new Map<string, Set<number>>();
  /** Blobs the other side holds whole (it may say so before we know the blob's chunk count). */
  readonly hasAll = new Set<string>();
  /** Chunks it said it can't give (busy, or timed out): not asked again until the time given. */
  private readonly refused = new Map<string, Map<number, number>>();
  /** Our requests to it in flight. */
  inflight = 0;
  /** Requests of ours it let time out. */
  timeouts = 0;
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
    return this.hasAll.has(sha256) || (this.has.get(sha256)?.has(index) ?? false);
  }

  /** Records that the other side can't give a chunk before `until` (it said `peer.none`, or timed out). */
  unlearn(sha256: string, index: number, until: number): void {
    let map = this.refused.get(sha256);
    if (!map) this.refused.set(sha256, (map = new Map()));
    map.set(index, until);
  }

  /** Records that the other side holds chunks of a blob. */
  learn(sha256: string, indexes: Iterable<number>): void {
    let set = this.has.get(sha256);
    if (!set) this.has.set(sha256, (set = new Set()));
    const refused = this.refused.get(sha256);
    for (const i of indexes) {
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
