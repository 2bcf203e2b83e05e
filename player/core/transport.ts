/**
 * How the patch client reaches the relay, and where blob bytes come from. The client's state machine
 * talks only to these two interfaces:
 *
 * - a {@link PatchTransport} carries protocol messages to and from the relay (the WebSocket one in
 *   `ws-transport.ts`; a test can hand in any other);
 * - a {@link BlobSource} delivers a blob, verified chunk by chunk, and counts where its bytes came
 *   from. The default one asks the relay over the transport (`relay-blobs.ts`); the swarm's asks
 *   peers first and the relay for the rest. The client never learns which one delivered a chunk.
 */
import type { BlobDescriptor } from '../../protocol/blobs.ts';
import type { Result } from '../../protocol/errors.ts';
import type { Message } from '../../protocol/messages.ts';
import type { SignedRelease } from '../../protocol/release.ts';

/** Why a transport closed. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** What a transport tells its owner. `close` is called once, and nothing after it. */
export interface TransportHandlers {
  open(): void;
  /** A message that passed protocol validation; `bytes` is its size on the wire. */
  message(message: Message, bytes: number): void;
  /** Something arrived that is not a valid message (the relay is not trusted to be well-behaved). */
  invalid(error: string): void;
  close(info: CloseInfo): void;
}

/** One connection to the relay. */
export interface PatchTransport {
  /** Sends a message; false when the connection is not open (the message is dropped). */
  send(message: Message): boolean;
  /** Closes the connection; the `close` handler still runs once. */
  close(code?: number, reason?: string): void;
}

/** Opens a connection. Called again for each reconnect. */
export type ConnectTransport = (handlers: TransportHandlers) => PatchTransport;

/** Where the bytes of patches came from so far: reported in heartbeats and in status. */
export interface Traffic {
  readonly bytesFromRelay: number;
  readonly bytesFromPeers: number;
  /** Peers connected now. */
  readonly peers: number;
}

/** Options of {@link BlobSource.fetch}. */
export interface FetchOptions {
  /** Abandons the fetch (a newer release superseded the one that needed it). */
  readonly signal?: AbortSignal;
  /** Verified bytes received so far, of `total`. */
  readonly onProgress?: (received: number, total: number) => void;
}

/** Delivers whole, verified blobs. */
export interface BlobSource {
  /** Fetches a blob; every chunk is checked against `desc` before it is kept. */
  fetch(desc: BlobDescriptor, options?: FetchOptions): Promise<Result<Uint8Array>>;
  /** Offers a complete, verified blob to others (the swarm serves it to peers). */
  hold?(desc: BlobDescriptor, bytes: Uint8Array): void;
  /**
   * The player now holds `signed` (applied, or booted from the cache): the swarm passes it on to
   * peers that hold less. Called before `hold` for the release's blobs.
   */
  announce?(signed: SignedRelease): void;
  /** Bytes delivered so far, by source. */
  traffic(): Traffic;
}

/**
 * The relay as a source of single chunks, for the swarm (what peers don't give in time); the
 * client's `RelayBlobs` is one.
 */
export interface RelaySource {
  /** Asks for one chunk. `mayDefer`: the relay may answer "get it from your peers" instead. */
  getChunk(sha256: string, index: number, mayDefer: boolean): Promise<RelayAnswer>;
  /**
   * The swarm is starved (it has peers, and they have given it nothing for a while), or no longer:
   * while starved, the relay serves every chunk we ask for rather than deferring it to our peers.
   */
  starved?(starved: boolean): void;
}

/**
 * The relay as the client hands it to a {@link PatchClientOptions.blobSource} wrapper (the swarm):
 * single chunks, its own windowed fetch of a whole blob, and whether it pushed a blob with its
 * release. The client's `RelayBlobs` is one; the dedicated worker's bridge is another
 * (`player/browser/swarm-bridge.ts`).
 */
export interface RelayChunks extends RelaySource {
  fetch(desc: BlobDescriptor, options?: FetchOptions): Promise<Result<Uint8Array>>;
  /** The relay pushed this blob with its release: it is here already. */
  hasPushed(desc: BlobDescriptor): boolean;
  traffic(): Traffic;
}

/** The relay's answer to one chunk request. */
export type RelayAnswer =
  | { readonly kind: 'chunk'; readonly bytes: Uint8Array }
  | { readonly kind: 'deferred'; readonly retryAfterMs: number }
  | { readonly kind: 'error'; readonly message: string };
