/**
 * The swarm over PeerJS: wraps data connections as {@link PeerLink}s and keeps a bounded mesh of them.
 * The `Peer` is made by the platform (the browser's WebRTC, or node-webrtc in Node) and handed in, so
 * this file needs no platform API of its own; it only uses PeerJS's types.
 */
import type { DataConnection, Peer } from 'peerjs';
import type { Clock } from './clock.js';
import type { PeerLink } from './peer.js';
import type { Swarm } from './swarm.js';
/** Options of a data connection made for the swarm: raw bytes, our own framing, reliable. */
export declare const SWARM_CONNECT_OPTIONS: {
    readonly serialization: "raw";
    readonly reliable: true;
};
/** Wraps an open PeerJS data connection (serialization `raw`) as a swarm link. */
export declare function linkFromConnection(conn: DataConnection): PeerLink;
/** Options of {@link PeerMesh}. */
export interface PeerMeshOptions {
    /** Links to open ourselves (others may open more to us, up to the swarm's limit). Default 4. */
    readonly target?: number;
    /** Give up on a connection that isn't open after this long. Default 8000 ms. */
    readonly connectTimeoutMs?: number;
    /** Asks the relay for more peer ids (answered through {@link PeerMesh.offer}). */
    readonly requestPeers?: () => void;
    /** How often to look for more peers while below target. Default 5000 ms. */
    readonly refillMs?: number;
    readonly clock?: Clock;
    readonly random?: () => number;
}
/**
 * Keeps a player's swarm links: accepts incoming connections while the swarm has room, dials peer ids
 * offered by the relay until `target` links are up, and asks for more when links drop.
 */
export declare class PeerMesh {
    private readonly peer;
    private readonly swarm;
    private readonly options;
    private readonly dialing;
    private readonly target;
    private readonly timeoutMs;
    private readonly clock;
    private readonly random;
    private refillTimer;
    private stopped;
    constructor(peer: Peer, swarm: Swarm, options?: PeerMeshOptions);
    /** Our PeerJS id. */
    get id(): string;
    /** Peer ids from the relay: dial some of them until we have `target` links. */
    offer(ids: readonly string[]): void;
    /** Stops dialing and drops every link. */
    stop(): void;
    private dial;
    private incoming;
    private adopt;
    private scheduleRefill;
}
