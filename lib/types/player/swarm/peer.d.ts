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
/** …and chunk indexes below this (the most chunks a slot may have: 12 MiB in 1 KiB chunks). */
export declare const MAX_CHUNK_INDEX: number;
/** Swarm-side state of one link. */
export declare class PeerState {
    readonly link: PeerLink;
    /** Seq the other side last said it holds. */
    seq: number;
    /** Chunks the other side holds, by blob. */
    readonly has: Map<string, Set<number>>;
    /** Blobs the other side holds whole (it may say so before we know the blob's chunk count). */
    private readonly hasAll;
    /** Chunks it said it can't give (busy, or timed out): not asked again until the time given. */
    private readonly refused;
    /** Our requests to it in flight. */
    inflight: number;
    /** Requests of ours it let time out. */
    timeouts: number;
    /** Frames waiting for the channel's buffer to drain. */
    private readonly queue;
    private readonly highWater;
    constructor(link: PeerLink, highWater: number);
    /** True when the other side said it holds chunk `index` of `sha256` and may be asked for it now. */
    holds(sha256: string, index: number, now: number): boolean;
    /** Records that the other side can't give a chunk before `until` (it said `peer.none`, or timed out). */
    unlearn(sha256: string, index: number, until: number): void;
    /** Records that the other side holds a whole blob. */
    learnAll(sha256: string): void;
    /** Records that the other side holds chunks of a blob. */
    learn(sha256: string, indexes: Iterable<number>): void;
    /** Uploads waiting in our queue. */
    get queued(): number;
    /** Sends a chunk frame now if the channel has room, else queues it until `drain`. */
    sendFrame(frame: Uint8Array): void;
    /** Moves queued frames into the channel while it has room. */
    flush(): void;
}
