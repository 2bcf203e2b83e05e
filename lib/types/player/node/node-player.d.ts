/**
 * The Node adapter put together: a headless player (`patchcast play`, tests, the swarm benchmark).
 * The platform-free patch client (`player/core/`) on Node's parts — a file cache (or memory), the
 * relay over framed TCP or WebSocket, scripts in the `worker_threads` sandbox, and with `p2p` the
 * swarm on node-webrtc — and a frame loop that runs the logic script as the page's does, so a
 * script that fails at run time is acked and dropped for the last good one here too.
 */
import { PatchClient, type PatchClientOptions } from '../core/patch-client.js';
import type { PatchCache } from '../core/cache.js';
import type { ConnectTransport } from '../core/transport.js';
import type { PatchHandlers } from '../core/apply.js';
import { PlayerSwarm, type PlayerSwarmOptions } from '../swarm/player-swarm.js';
import type { LogicHostOptions } from '../sandbox/logic-host.js';
/** Options of {@link NodePlayer}. */
export interface NodePlayerOptions extends Omit<PatchClientOptions, 'cache' | 'connect' | 'handlers' | 'blobSource' | 'onRelayMessage' | 'peerId'> {
    /**
     * What the player does with each slot (default: the demo game's, scripts in the Node sandbox —
     * `node-handlers.ts`). A benchmark of delivery alone may pass handlers that only accept.
     */
    readonly handlers?: PatchHandlers;
    /** How to reach the relay (`tcpTransport`, `nodeWebSocketTransport`). */
    readonly connect: ConnectTransport;
    /** Keep releases and blobs in this directory and start from them (default: in memory only). */
    readonly cacheDir?: string;
    /** Or any other cache (wins over `cacheDir`). */
    readonly cache?: PatchCache;
    /** Join the room's swarm on node-webrtc (the relay's PeerJS server at `{server}/peerjs`). */
    readonly p2p?: Omit<PlayerSwarmOptions, 'openPeer' | 'server'>;
    /** Frames per second of the logic loop (default 20; 0: scripts are only tried, never run on). */
    readonly fps?: number;
    /** Sandbox options (budgets, trial frames). */
    readonly logic?: Omit<LogicHostOptions, 'onFailure'>;
}
/** A headless player; see the file comment. */
export declare class NodePlayer {
    readonly client: PatchClient;
    readonly swarm: PlayerSwarm | null;
    private readonly game;
    private timer;
    private readonly fps;
    constructor(options: NodePlayerOptions);
    /** Boots from the cache, connects, starts the frame loop, and (with p2p) joins the swarm. */
    start(): Promise<void>;
    /** Resolves once the player holds seq `seq` or newer; rejects after `timeoutMs`. */
    waitForSeq(seq: number, timeoutMs?: number): Promise<void>;
    /** The logic running now (null before any script was applied). */
    get logic(): import("../index.js").LogicHost | null;
    /** Stops everything: the connection, the swarm, the frame loop, every sandbox worker. */
    close(): void;
}
