/**
 * The swarm: how players of a room pass releases and blob chunks to each other. Transport-free — it
 * talks to {@link PeerLink}s and a {@link RelaySource} — so the same code runs in browsers (PeerJS),
 * in Node peers (node-webrtc) and in the simulation (in-memory links on a virtual clock).
 *
 * A player fetches a blob chunk by chunk: from a peer that says it holds the chunk, several peers at
 * once, each chunk verified against the signed release's chunk hashes before it is kept or passed on;
 * from the relay only what no peer gives it in time. A peer that sends a bad chunk is dropped and
 * never asked again.
 */
import { type BlobDescriptor, type Hasher } from '../../protocol/blobs.js';
import { type Result } from '../../protocol/errors.js';
import type { SignedRelease } from '../../protocol/release.js';
import type { RelaySource } from '../core/transport.js';
import { type Clock } from './clock.js';
import { type PeerLink } from './peer.js';
export type { RelayAnswer, RelaySource } from '../core/transport.js';
/** Byte and event counters, reported in heartbeats and status. */
export interface SwarmStats {
    bytesFromPeers: number;
    bytesFromRelay: number;
    bytesToPeers: number;
    badChunks: number;
    peersDropped: number;
}
/** Options of {@link Swarm}. */
export interface SwarmOptions {
    readonly relay: RelaySource | null;
    /** Called with a release a peer passed on; the owner checks it with `acceptRelease`. */
    readonly onPeerRelease?: (candidate: SignedRelease, fromPeer: string) => void;
    readonly onPeersChanged?: (count: number) => void;
    readonly clock?: Clock;
    readonly random?: () => number;
    readonly hash?: Hasher;
    /** Most links kept (default 6). */
    readonly maxPeers?: number;
    /** Requests in flight to one peer (default 4). */
    readonly maxInflightPerPeer?: number;
    /** Relay requests in flight while we have peers (default 2) and without (default 16). */
    readonly relayInflightWithPeers?: number;
    readonly relayInflightAlone?: number;
    /** A peer request unanswered after this is asked elsewhere (default 2000 ms). */
    readonly requestTimeoutMs?: number;
    /** Uploads queued per peer before we answer `peer.none` (default 16). */
    readonly maxUploadQueue?: number;
    /** Data channel buffer high-water mark (default 1 MiB). */
    readonly bufferHighWater?: number;
    /** Chunks larger than this go through the relay only (data channel message limit). */
    readonly maxPeerChunkBytes?: number;
    /** Peers that delivered nothing for this long count as stalled: the relay is asked (default 750 ms). */
    readonly peerStallMs?: number;
}
/** One player's view of the swarm of its room. */
export declare class Swarm {
    private readonly options;
    readonly stats: SwarmStats;
    private readonly opts;
    private readonly relay;
    private readonly peers;
    private readonly banned;
    /** Complete blobs we can serve. */
    private readonly held;
    private readonly jobs;
    private current;
    private relayInflight;
    private lastPeerChunkAt;
    private closed;
    constructor(options: SwarmOptions);
    /** Seq of the release we hold (0 for none). */
    get seq(): number;
    /** Number of live links. */
    get peerCount(): number;
    /** Ids of live links. */
    peerIds(): string[];
    /** True when another link fits and this peer was never dropped for misbehaving. */
    canAdd(id: string): boolean;
    /** Takes a link; refuses it (closing it) when full, duplicate or banned. */
    addPeer(link: PeerLink): boolean;
    /** Closes a link and asks elsewhere for what it owed us. */
    removePeer(id: string, ban?: boolean): void;
    /** Tells the swarm we accepted `signed`: peers that hold less get it; old blobs are let go. */
    announce(signed: SignedRelease): void;
    /** Offers a complete, verified blob (from cache or just fetched) to peers. */
    hold(desc: BlobDescriptor, bytes: Uint8Array): void;
    /**
     * Fetches a blob, verified chunk by chunk; resolves once whole. Several calls for one blob share the
     * work. `signal` abandons the wait (the download stops when nobody waits for it any more).
     */
    fetch(desc: BlobDescriptor, opts?: {
        signal?: AbortSignal;
        onProgress?: (received: number, total: number) => void;
    }): Promise<Result<Uint8Array>>;
    /** Drops every link and download. */
    close(): void;
    private onMessage;
    private onChunk;
    private serve;
    private pumpAll;
    /** Starts requests for missing chunks: peers that hold them first, the relay for the rest. */
    private pump;
    /** Asks `peer` for one chunk it just offered, if we still need it and the peer has room. */
    private tryChunk;
    private pickPeer;
    private askPeer;
    private askRelay;
    private backOffRelay;
    /** Pumps `job` again at `at` (one timer per job: the earliest wins, later ones re-arm). */
    private wakeAt;
    /** Clears a request to a peer (answered, refused or timed out). */
    private settle;
    /** A verified chunk arrived: tell peers, report progress, finish the blob when whole. */
    private gained;
    private finish;
    private forget;
    private send;
    /** Sends a release once per peer: after this, the peer counts as holding it. */
    private sendRelease;
    private broadcast;
    private haveMap;
    private chunkCountOf;
    private indexesOf;
    private shuffled;
}
