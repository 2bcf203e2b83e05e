import { type Result } from '../../protocol/errors.js';
import { type Message } from '../../protocol/messages.js';
import type { Release, SignedRelease } from '../../protocol/release.js';
import type { PatchCache } from './cache.js';
import { ClientEvents } from './events.js';
export type { PatchEvents } from './events.js';
import type { PatchHandlers } from './apply.js';
import type { BackoffOptions } from '../../protocol/backoff.js';
import { RelayBlobs } from './relay-blobs.js';
import { type PatchStatus } from './status.js';
import type { BlobSource, ConnectTransport } from './transport.js';
export type { AppliedDetail, ConnectedDetail, ConnectionMode, DisconnectedDetail, PatchStatus, RefusedDetail, SlotOutcome, } from './status.js';
/** Options of {@link PatchClient}. */
export interface PatchClientOptions {
    readonly room: string;
    /** The room's pinned public key (raw Ed25519, base64url), from the player URL; or several. */
    readonly publicKey: string | readonly string[];
    /**
     * The relay's HTTP base URL, e.g. `http://127.0.0.1:8787`; a path prefix is kept (`https://host/relay`
     * → `wss://host/relay/ws`, `https://host/relay/api/…`).
     */
    readonly server: string;
    readonly handlers: PatchHandlers;
    /** Free text for the roster (browser and OS). */
    readonly platform?: string;
    /** Where releases, blobs and the client id are kept (the adapter's: IndexedDB, files). */
    readonly cache: PatchCache;
    /** The client id to use instead of the one the cache keeps (`patchcast play --client-id`). */
    readonly clientId?: string;
    /** Opens a relay connection (the adapter's: WebSocket, framed TCP). */
    readonly connect: ConnectTransport;
    /** Wraps the relay's blob source (the swarm plugs in here). */
    readonly blobSource?: (relay: RelayBlobs) => BlobSource;
    /** Rotation records of the room (default: `GET {server}/api/rooms/:room/keys`). */
    readonly fetchRotations?: () => Promise<unknown[]>;
    /** Relay messages the client itself doesn't handle (`blob.defer`, `peers`: the swarm's). */
    readonly onRelayMessage?: (message: Message) => void;
    /** The PeerJS id to announce in `hello`, when the swarm runs. */
    readonly peerId?: () => string | undefined;
    readonly backoff?: BackoffOptions;
    readonly random?: () => number;
    readonly now?: () => number;
}
/**
 * The patch client; see the file comment. Events: `status` (anything in {@link PatchClient.status}
 * changed), `applied` ({@link AppliedDetail}), `refused` ({@link RefusedDetail}), `connected`
 * ({@link ConnectedDetail}), `disconnected` ({@link DisconnectedDetail}).
 */
export declare class PatchClient extends ClientEvents {
    private readonly options;
    private readonly cache;
    private readonly relayBlobs;
    private readonly blobs;
    private state;
    private clientId;
    /** The secret the relay binds the client id to (the cache's), said in every hello. */
    private clientSecret;
    /** The id the relay gave this connection (it may add a suffix to a duplicate id). */
    private relayClientId;
    private readonly trusted;
    private readonly relay;
    private readonly releases;
    private lastError;
    private closed;
    constructor(options: PatchClientOptions);
    /** Boots from the cache (applying what it holds), then connects. Resolves once the cache is applied. */
    start(): Promise<void>;
    /** This player's client id: the option, else the cache's (null when the cache has none to give). */
    ownClientId(): Promise<string | null>;
    /**
     * Which slots of `release` this player takes under their staged rollouts (`protocol/rollout.ts`):
     * a slot it doesn't take is neither downloaded nor applied, and is acked `skipped`.
     */
    rolloutDecisions(release: Release): Promise<Record<string, boolean>>;
    /** A snapshot of what the player holds and how it is connected. */
    status(): PatchStatus;
    /** Stops: closes the connection, abandons downloads, stops timers. */
    close(): void;
    /**
     * Offers a release from anywhere (the relay, or a peer through the swarm). It is checked with
     * protocol's `acceptRelease`; if accepted and newer than anything loading, it is loaded.
     */
    offerRelease(candidate: unknown): Promise<Result<SignedRelease>>;
    /**
     * The game dropped a slot's content after it was applied (a logic script that failed at run time).
     * Acks the failure, records `nowRunning` (a blob hash, or null for the game's built-in content) as
     * what the slot holds, and — unless `transient` (a timeout, which a starved machine can cause) —
     * remembers the blob as failed.
     */
    reportFailure(slot: string, failedSha256: string, error: string, nowRunning: string | null, options?: {
        readonly transient?: boolean;
    }): Promise<void>;
    private recordFailure;
    private boot;
    private hello;
    private onMessage;
    /** Sends a message to the relay on the current connection (for the swarm: `peers.get`); false if offline. */
    sendToRelay(message: Message): boolean;
    /**
     * The id `peerId` gives changed (the swarm failed, or works again): the client says `hello` again
     * on a new connection, so that the relay lists what is true.
     */
    peerIdChanged(): void;
    private send;
    private traffic;
    private trust;
    /** Fetches rotation records again (see `RoomTrust.refresh`); true when the trust set grew. */
    private refreshTrust;
    /** Tells the blob source (the swarm) which release we hold now, and which verified blobs it may serve. */
    private offerToPeers;
    private setError;
    private emitApplied;
}
