/**
 * Content-addressed blobs and their chunks. A slot lists the SHA-256 of the whole blob and of each
 * chunk, so a receiver checks every chunk as it arrives (from the relay or from any peer) and never
 * holds a bad byte for longer than one chunk.
 */
import { type Result } from './errors.js';
/** What a slot says about its blob: enough to fetch and verify it chunk by chunk. */
export interface BlobDescriptor {
    readonly sha256: string;
    readonly size: number;
    readonly chunkSize: number;
    readonly chunks: readonly string[];
}
/** Number of chunks a blob of `size` bytes has. */
export declare function chunkCount(size: number, chunkSize: number): number;
/** Expected byte length of chunk `index` of a blob. */
export declare function chunkLength(desc: Pick<BlobDescriptor, 'size' | 'chunkSize'>, index: number): number;
/** The bytes of chunk `index` of a whole blob (a view, not a copy). */
export declare function sliceChunk(blob: Uint8Array, index: number, chunkSize: number): Uint8Array;
/** Hashes a blob and its chunks: the descriptor a slot carries. */
export declare function describeBlob(blob: Uint8Array, chunkSize?: number): Promise<BlobDescriptor>;
/** True when a descriptor's chunk list agrees with its size and chunk size. */
export declare function chunkListFits(desc: BlobDescriptor): boolean;
/** Computes the SHA-256 hex of bytes. Swappable so that a simulation can memoize it. */
export type Hasher = (bytes: Uint8Array) => Promise<string>;
/** Checks one chunk against the descriptor: index in range, right length, right hash. */
export declare function verifyChunk(desc: BlobDescriptor, index: number, bytes: Uint8Array, hash?: Hasher): Promise<Result<Uint8Array>>;
/** Checks a whole blob against a descriptor: size, every chunk and the whole-blob hash. */
export declare function verifyBlob(desc: BlobDescriptor, blob: Uint8Array): Promise<Result<Uint8Array>>;
/**
 * Collects the chunks of one blob in any order, from any source, verifying each on arrival; yields the
 * whole blob once every chunk is in and the whole-blob hash matches.
 */
export declare class BlobAssembler {
    readonly desc: BlobDescriptor;
    private readonly parts;
    private have;
    private bytes;
    private readonly hash;
    constructor(desc: BlobDescriptor, hash?: Hasher);
    /** Number of chunks held. */
    get received(): number;
    /** Bytes held so far (for progress bars). */
    get receivedBytes(): number;
    /** True once every chunk is held. */
    get complete(): boolean;
    /** True when chunk `index` is already held. */
    has(index: number): boolean;
    /** Indexes of the chunks still missing, in order. */
    missing(): number[];
    /**
     * Verifies and keeps one chunk. A duplicate of a held chunk is accepted only if identical.
     * A refused chunk leaves the assembler as it was.
     */
    add(index: number, bytes: Uint8Array): Promise<Result<boolean>>;
    /** The whole blob, verified against the whole-blob hash; fails if incomplete. */
    assemble(): Promise<Result<Uint8Array>>;
    /** A chunk held, or undefined (lets a peer serve chunks before it has the whole blob). */
    chunk(index: number): Uint8Array | undefined;
}
