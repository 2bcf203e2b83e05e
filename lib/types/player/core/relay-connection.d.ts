import { type Hello, type Message } from '../../protocol/messages.js';
import { type BackoffOptions } from '../../protocol/backoff.js';
import type { CloseInfo, ConnectTransport, Traffic } from './transport.js';
/** Options of {@link RelayConnection}. */
export interface RelayConnectionOptions {
    readonly connect: ConnectTransport;
    /** The `hello` to say on open (it tells what the player holds then), announcing `peerId`. */
    readonly hello: (peerId: string | undefined) => Hello;
    /** The peer id to announce, if any (the swarm's). */
    readonly peerId?: () => string | undefined;
    /** Every message from the relay (`welcome` after the connection's own bookkeeping). */
    readonly message: (message: Message) => void;
    /** Something went wrong that the player should show. */
    readonly error: (text: string) => void;
    /** The connection came up (welcome) or went down. */
    readonly changed: () => void;
    /** The counters heartbeats carry. */
    readonly traffic: () => Traffic;
    /** A connection closed (or could not open); the next dial is in `retryInMs` (null: closed for good). */
    readonly closed?: (info: CloseInfo, retryInMs: number | null) => void;
    readonly backoff?: BackoffOptions;
    readonly random?: () => number;
}
/** See the file comment. */
export declare class RelayConnection {
    private readonly options;
    private transport;
    private welcomedNow;
    /** The peer id said in the last `hello` on this connection (null: no hello yet). */
    private announcedPeerId;
    private attempt;
    private reconnectTimer;
    private heartbeatTimer;
    private liveness;
    private closed;
    constructor(options: RelayConnectionOptions);
    /** True between the relay's `welcome` and the connection's close. */
    get welcomed(): boolean;
    /** Dials the relay (and again after every close, until {@link close}). */
    start(): void;
    /** Sends on the current connection; false when there is none (the message is dropped). */
    send(message: Message): boolean;
    /**
     * The id `peerId` gives changed (the swarm failed, or works again): the relay lists the id said in
     * `hello` to other players and has no other way to hear of a new one, so: reconnect, hello again.
     */
    peerIdChanged(): void;
    /** Closes for good. */
    close(): void;
    private startHeartbeat;
    /**
     * Every heartbeat interval: the heartbeat (once welcomed), and the check that the connection still
     * carries anything: one silent for {@link SILENT_TICKS} intervals is closed and dialled again.
     */
    private heartbeat;
}
