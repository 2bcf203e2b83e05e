/**
 * What the relay needs of a store, as interfaces: {@link BlobStore} (content-addressed bytes) and
 * {@link RoomStore} (rooms, key sets, releases, over a blob store). The data dir's `RelayStore`
 * implements both as it is; `signaling/cluster/redis-store.ts` implements them over Redis, so that
 * several relay nodes share one set of rooms. An S3-compatible blob store could implement
 * {@link BlobStore} later.
 *
 * Reads are synchronous: a store keeps what the relay reads (rooms, histories, the blob index) in
 * memory, and a shared store keeps that copy in step with the others. Writes are asynchronous, and a
 * shared store may refuse one another node got in first ({@link StoreConflict}).
 */
import type { ErrorCode, SignedRelease, Slot, TextureMime } from '../../protocol/index.ts';
import type { DataDirReport, StoredRoom } from './store.ts';

/** Content-addressed bytes, by SHA-256 (hex). */
export interface BlobStore {
  /** True when the blob is stored (as far as this node knows now). */
  hasBlob(sha256: string): boolean;
  /** A stored blob's bytes, or null. */
  readBlob(sha256: string): Promise<Uint8Array | null>;
  /** Stores a blob whose hash the caller has checked; false when it was there already. */
  putBlob(sha256: string, bytes: Uint8Array): Promise<boolean>;
  /**
   * Optional: {@link putBlob} in two halves, so the slow write runs while the bytes arrive and beside
   * the caller's checks — written out of sight as they come (`bytes` is the blob's buffer, filled
   * from its start; {@link ArrivingBlob.advance} says how far), made durable once all are in, and
   * put in place (or dropped) later.
   */
  stageBlob?(sha256: string, bytes: Uint8Array): ArrivingBlob;
}

/** A blob being written out of sight while its bytes arrive ({@link BlobStore.stageBlob}). */
export interface ArrivingBlob {
  /** `bytes[0, n)` are in. */
  advance(n: number): void;
  /** Every byte is in: written and durable, neither stored nor served yet. */
  staged(): Promise<StagedBlob>;
  /** Drops it: nothing is left stored. */
  discard(): Promise<void>;
}

/** A blob written out of sight by {@link BlobStore.stageBlob}: neither stored nor served yet. */
export interface StagedBlob {
  /** Puts it in place; false when the blob was there already (as {@link BlobStore.putBlob}). */
  commit(): Promise<boolean>;
  /** Drops it: nothing is left stored. */
  discard(): Promise<void>;
}

/** Told about a release another node accepted, once this node's copy has it (in seq order). */
export type ExternalReleaseListener = (signed: SignedRelease, previous: SignedRelease | null) => void;

/** An upload a verified release made a node wait for: any node of a cluster may receive it. */
export interface SharedExpectation {
  readonly sha256: string;
  readonly room: string;
  readonly size: number;
  /** Epoch ms after which it is no longer accepted. */
  readonly until: number;
}

/** The rooms, key sets and releases of a relay, over a {@link BlobStore}. */
export interface RoomStore extends BlobStore {
  /** Every room. */
  rooms(): IterableIterator<StoredRoom>;
  /** One room, or undefined. */
  room(name: string): StoredRoom | undefined;
  /** The highest seq the room ever accepted (a publisher must go above it). */
  lastSeq(room: string): number;
  /** Why a room is quarantined, or undefined when it is not. */
  quarantineReason(room: string): string | undefined;
  /** What is wrong with a loaded room now (empty when nothing is). */
  damageOf(room: string): string[];
  /** Every quarantined room and every degraded one. */
  report(): DataDirReport;
  /** The slot of the newest release of `room` naming the blob (its size and chunking), if any. */
  descriptor(room: string, sha256: string): Slot | undefined;
  /** The mime of a texture slot naming the blob, if any. */
  mimeOf(sha256: string): TextureMime | undefined;
  /** Keeps blobs from the garbage collector until the returned function is called. */
  pinBlobs(sha256s: Iterable<string>): () => void;
  /** Creates a room or rewrites its keys and rotation records. May throw {@link StoreConflict}. */
  saveRoom(state: StoredRoom): Promise<void>;
  /**
   * Appends a release whose blobs are stored — or, with `blobsWritten`, are being stored by that
   * promise: the release goes in after it resolves (and not at all if it rejects), its own write
   * may start before. May throw {@link StoreConflict}.
   */
  saveRelease(signed: SignedRelease, blobsWritten?: Promise<unknown>): Promise<void>;
  /** Removes uploads nobody published that are older than `minAgeMs`; returns how many went. */
  collectGarbage(minAgeMs: number, now?: number): Promise<number>;

  // ---- only stores shared by several nodes ------------------------------------------------------
  /** Registers the listener for releases accepted by other nodes. */
  onExternalRelease?(listener: ExternalReleaseListener): void;
  /**
   * Tells the other nodes which uploads this node now expects: written where any node can read them
   * before it resolves (so the publisher, told BLOB_MISSING after, may upload through any node), and
   * announced to every node's copy.
   */
  shareExpectations?(expected: readonly SharedExpectation[]): Promise<void>;
  /**
   * Of blobs this node's copy lacks, those the shared store lacks too; the others (uploaded through
   * a node whose event has not arrived yet, or was lost) are learned. Asked before a publish is told
   * BLOB_MISSING.
   */
  confirmMissing?(sha256s: readonly string[]): Promise<string[]>;
  /** Bytes of uploads other nodes expect for a room (within their windows), but for `except`. */
  sharedPendingBytes?(room: string, now: number, except: readonly string[]): number;
  /** An upload another node expects, if any (still within its window), as this node's copy has it. */
  sharedExpectation?(sha256: string, now: number): SharedExpectation | undefined;
  /**
   * The same, read from the shared store itself: for an upload that arrives before this node's copy
   * heard of its expectation (or that heard nothing: a lost event). Kept in the copy when found.
   */
  lookUpExpectation?(sha256: string, now: number): Promise<SharedExpectation | undefined>;
  /** Lets go of connections and timers. */
  close?(): Promise<void>;
}

/**
 * A write the store refused because the shared state moved on under it: another node accepted a
 * release with this seq or above (`STALE_SEQ`), created the room or rotated its keys first
 * (`STALE_SEQ` too: the writer's view of the room is stale), or a blob the release names expired
 * (`BLOB_MISSING`, with the blobs).
 */
export class StoreConflict extends Error {
  override readonly name = 'StoreConflict';
  constructor(
    readonly code: typeof ErrorCode.STALE_SEQ | typeof ErrorCode.BLOB_MISSING,
    message: string,
    readonly missing: readonly string[] = [],
  ) {
    super(message);
  }
}
