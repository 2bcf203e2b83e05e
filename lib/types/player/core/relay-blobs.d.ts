/**
 * Blobs from the relay: `blob.get` requests over the current transport, `blob` chunks back, each one
 * verified against the slot's chunk hashes as it lands (`BlobAssembler`). A window of requests stays
 * in flight; a reconnect re-asks for whatever is still missing; a chunk that fails its hash is asked
 * for again a few times, then the fetch fails.
 */
import { type BlobDescriptor } from '../../protocol/blobs.js';
import { type Result } from '../../protocol/errors.js';
import { type BlobDefer, type BlobGet, type BlobMessage } from '../../protocol/messages.js';
import type { RelayAnswer, RelaySource } from './transport.js';
import type { BlobSource, FetchOptions, Traffic } from './transport.js';
/** Options of {@link RelayBlobs}. */
export interface RelayBlobsOptions {
    /** Chunks asked for at once per blob (default {@link CHUNK_WINDOW}). */
    readonly window?: number;
    /** With chunks outstanding and none arriving for this long, ask again (default {@link CHUNK_STALL_MS}). */
    readonly stallMs?: number;
    /** Bad chunks tolerated per blob before the fetch fails (default {@link MAX_BAD_CHUNKS}). */
    readonly maxBadChunks?: number;
}
/**
 * The default {@link BlobSource}: everything from the relay. Also a swarm `RelaySource`: single
 * chunks on request (`getChunk`), which the relay may defer to the swarm (`blob.defer`); the swarm
 * verifies those itself.
 */
export declare class RelayBlobs implements BlobSource, RelaySource {
    private readonly jobs;
    /** Single-chunk requests of the swarm: `sha256:index` → who waits for the answer. */
    private readonly singles;
    private readonly window;
    private readonly stallMs;
    private readonly maxBadChunks;
    private bytes;
    /** Sends on the current connection; false while there is none. */
    private readonly send;
    constructor(send: (message: BlobGet) => boolean, options?: RelayBlobsOptions);
    traffic(): Traffic;
    fetch(desc: BlobDescriptor, options?: FetchOptions): Promise<Result<Uint8Array>>;
    /** The connection (re)opened: ask again for everything still missing. */
    connected(): void;
    /** Asks the relay for one chunk (for the swarm); fails after `stallMs` without an answer. */
    getChunk(sha256: string, index: number, mayDefer: boolean): Promise<RelayAnswer>;
    /** Takes a `blob.defer` message from the relay: the swarm should get the chunk from peers. */
    deferred(message: BlobDefer): void;
    /** Takes a `blob` message from the relay. */
    receive(message: BlobMessage): Promise<void>;
    private bad;
    /** Asks for the next missing chunks, up to the window, in contiguous runs. */
    private pump;
    private finish;
    private drop;
    /** Abandons every fetch and chunk request. */
    close(): void;
}
