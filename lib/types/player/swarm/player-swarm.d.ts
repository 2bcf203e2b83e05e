/**
 * The player's swarm: blobs from other players of the room over WebRTC data channels (PeerJS), the
 * relay for what they don't give in time. The transport-free `Swarm` (`swarm.ts`) and `PeerMesh`
 * (`peerjs.ts`) do the work; this file plugs them into the patch client's seams. The PeerJS peer
 * itself is the platform's ({@link OpenPeer}: the browser's WebRTC in `player/browser/`,
 * node-webrtc in `player/node/`); everything else here is the same in a page and in Node:
 *
 * - `blobSource`: a {@link BlobSource} backed by the `Swarm`, with the client's `RelayBlobs` as its
 *   relay (single chunks, which the relay may defer to the swarm with `blob.defer`);
 * - `onRelayMessage`: peer ids from `welcome.peers` and `peers` go to the mesh;
 * - `peerId`: our PeerJS id, announced in `hello` so that the relay lists us to the others (and
 *   withdrawn with a new `hello` when PeerJS fails: {@link SwarmClient.peerIdChanged});
 * - releases a peer passes on go to the client's `offerRelease` (the same `acceptRelease` path);
 *   the client calls `announce` and `hold` once a release is applied (or booted from the cache).
 *
 * Nothing waits for WebRTC. Until the PeerJS peer is open, and for good when it can't open (no
 * signaling server, WebRTC blocked), blobs come from the relay and the mode stays `relay`.
 */
import type { Peer } from 'peerjs';
import { type Result } from '../../protocol/errors.js';
import type { SignedRelease } from '../../protocol/release.js';
import { type Message } from '../../protocol/messages.js';
import { type PeerMeshOptions } from './peerjs.js';
import { type SignalingAddress } from './signaling-address.js';
import { type SwarmOptions } from './swarm.js';
import type { PatchClientOptions } from '../core/patch-client.js';
/** Where the swarm is: `open` once the PeerJS peer is registered with the signaling server. */
export type SwarmState = 'disabled' | 'unsupported' | 'idle' | 'starting' | 'open' | 'failed' | 'stopped';
/** What `window.patchcast.swarm()` returns on the demo page. */
export interface SwarmInfo {
    readonly state: SwarmState;
    /** Our PeerJS id (null without a swarm). */
    readonly peerId: string | null;
    /** PeerJS ids of the peers linked now. */
    readonly peers: readonly string[];
    /** Chunks from peers that failed their hash (each one got its sender dropped and banned). */
    readonly badChunks: number;
    readonly peersDropped: number;
    readonly bytesToPeers: number;
    /** Why the swarm is not running, or its last trouble. */
    readonly lastError: string | null;
}
/** What the swarm needs of the patch client. */
export interface SwarmClient {
    offerRelease(candidate: unknown): Promise<Result<SignedRelease>>;
    sendToRelay(message: Message): boolean;
    /** Our peer id is announced, or withdrawn: the relay should hear it (a new `hello`). */
    peerIdChanged?(): void;
}
/**
 * Opens a PeerJS peer with our own id on the signaling server and resolves once it is registered;
 * rejects (having destroyed the peer) on an error or after `timeoutMs`. The platform's part.
 */
export type OpenPeer = (address: SignalingAddress, id: string, iceServers?: readonly RTCIceServer[], timeoutMs?: number) => Promise<Peer>;
/** Options of {@link PlayerSwarm}. */
export interface PlayerSwarmOptions {
    /** Opens the PeerJS peer (the adapter's). */
    readonly openPeer: OpenPeer;
    /** The relay's HTTP base URL (as the client's `server`); its PeerJS server is at `/peerjs` under it. */
    readonly server: string;
    /** STUN/TURN servers; none by default (on loopback and most LANs host candidates are enough). */
    readonly iceServers?: readonly RTCIceServer[];
    /** Give up on the signaling server after this long (default 10 s). */
    readonly openTimeoutMs?: number;
    /** A chunk asked of the relay and not answered in this long may be asked of peers (default 3 s). */
    readonly relayChunkTimeoutMs?: number;
    readonly swarm?: Omit<SwarmOptions, 'relay' | 'onPeerRelease' | 'onPeersChanged'>;
    readonly mesh?: Omit<PeerMeshOptions, 'requestPeers'>;
}
/** The player's swarm; see the file comment. Fires `change` when links come and go. */
export declare class PlayerSwarm extends EventTarget {
    readonly id: string;
    private readonly options;
    private swarm;
    private client;
    private peer;
    private mesh;
    /** Peer ids offered by the relay before the mesh was up. */
    private offered;
    private state;
    private lastError;
    private failedAt;
    /** Whether PeerJS ever failed to start or lost its server: from then on the id is announced once open. */
    private everFailed;
    private reconnects;
    private reconnectTimer;
    constructor(options: PlayerSwarmOptions);
    /** The patch client options that plug the swarm in: spread them into `new PatchClient({…})`. */
    clientOptions(): Required<Pick<PatchClientOptions, 'blobSource' | 'onRelayMessage' | 'peerId'>>;
    /**
     * The id to announce in `hello`: from the start, while PeerJS starts (the signaling server queues
     * offers for a few seconds), not once we know it can't — then nobody should wait on a dial to us;
     * after a failure, only once it is open again.
     */
    private announcedId;
    /** The client releases from peers go to, and relay messages (`peers.get`) go out through. */
    bind(client: SwarmClient): void;
    /** Loads PeerJS and registers with the signaling server; resolves when up, or given up. */
    start(): Promise<void>;
    /**
     * Leaves the swarm for good: every link closes, and downloads in flight through the swarm fail
     * (the client tries the release again on its next connection); later ones go to the relay.
     */
    stop(): void;
    /** For `window.patchcast.swarm()` and tests. */
    info(): SwarmInfo;
    private source;
    /**
     * A release a peer passed on goes through the client's `acceptRelease`, like one from the relay.
     * An honest peer passes on only what it accepted itself, so a forged or malformed release gets its
     * sender dropped and banned; a stale, expired or not-yet-trusted one may be an honest race or
     * clock skew, and is only refused.
     */
    private peerRelease;
    private onRelayMessage;
    private offer;
    /** Keeps the signaling connection: links stay up without it, but new ones need it. */
    private watch;
    /** Whether the state is still `state` (after an await, someone may have stopped us). */
    private still;
    private setState;
}
/** The swarm info of a page without a swarm (switched off, or no WebRTC in this browser). */
export declare function noSwarm(state: 'disabled' | 'unsupported'): SwarmInfo;
