/**
 * An upload's bytes as they arrive: gathered into one buffer of the size the release declared, hashed
 * (the whole and each chunk), written out of sight and — a PNG texture — checked, each piece as it
 * lands. When the last byte is in, what is left is the hash compare, the end of the check, an fsync
 * and a rename: not reading 4 MB three more times, inflating it and writing it after the body.
 */
import { createHash, type Hash } from 'node:crypto';
import type { ArrivingBlob } from '../store/room-store.ts';
import type { ArrivingPngCheck } from './arriving-png.ts';
import type { BlobDigests } from './blob-checks.ts';

/** Hashes bytes as they come: the whole, and each `chunkSize` piece (when a chunking is known). */
export class StreamingDigests {
  private readonly whole = createHash('sha256');
  private chunk: Hash | null = null;
  private inChunk = 0;
  private size = 0;
  private readonly chunks: string[] = [];

  constructor(private readonly chunkSize: number | undefined) {}

  update(piece: Uint8Array): void {
    this.whole.update(piece);
    this.size += piece.length;
    const chunkSize = this.chunkSize;
    if (chunkSize === undefined) return;
    for (let at = 0; at < piece.length;) {
      const take = Math.min(chunkSize - this.inChunk, piece.length - at);
      (this.chunk ??= createHash('sha256')).update(piece.subarray(at, at + take));
      at += take;
      this.inChunk += take;
      if (this.inChunk === chunkSize) this.endChunk();
    }
  }

  private endChunk(): void {
    if (this.chunk) this.chunks.push(this.chunk.digest('hex'));
    this.chunk = null;
    this.inChunk = 0;
  }

  /** The hashes, once the last byte is in (`chunkSize` 0 and no chunks when no chunking was known). */
  digest(): BlobDigests {
    if (this.inChunk > 0) this.endChunk();
    const chunkSize = this.chunkSize ?? 0;
    return { sha256: this.whole.digest('hex'), size: this.size, chunkSize, chunks: this.chunks };
  }
}

/** What the relay does with an upload's bytes while they arrive (each part optional). */
export interface IncomingWork {
  /** The chunking to hash by (the slot's that asked for the blob, when this node knows it). */
  readonly chunkSize?: number | undefined;
  /** Starts writing the blob's buffer out of sight as it fills. */
  readonly staging?: (buffer: Buffer) => ArrivingBlob | null;
  /** Starts checking the blob's buffer (a PNG) as it fills. */
  readonly png?: (buffer: Buffer) => ArrivingPngCheck | null;
}

/** An upload's bytes once all arrived, and their hashes. */
export interface Arrived {
  readonly bytes: Buffer;
  readonly digests: BlobDigests;
}

/** One upload's bytes, arriving. */
export class IncomingBlob {
  /** The blob's buffer, of the size the release declared; filled from its start. */
  readonly buffer: Buffer;
  private received = 0;
  private readonly digests: StreamingDigests;
  private readonly work: { staging: ArrivingBlob | null; png: ArrivingPngCheck | null };
  private dropped = false;
  private done: Arrived | null = null;

  constructor(
    readonly sha256: string,
    size: number,
    work: IncomingWork = {},
  ) {
    this.buffer = Buffer.allocUnsafe(size);
    this.digests = new StreamingDigests(work.chunkSize);
    this.work = { staging: work.staging?.(this.buffer) ?? null, png: work.png?.(this.buffer) ?? null };
  }

  /** Bytes taken so far. */
  get length(): number {
    return this.received;
  }

  /** Takes the next piece; false (nothing taken) when it would run past the declared size. */
  take(piece: Uint8Array): boolean {
    if (this.done || this.received + piece.length > this.buffer.length) return false;
    this.buffer.set(piece, this.received);
    this.received += piece.length;
    this.digests.update(piece);
    this.work.staging?.advance(this.received);
    this.work.png?.advance(this.received);
    return true;
  }

  /** Once the last piece is taken: the bytes and their hashes (no piece may be taken after). */
  arrived(): Arrived {
    this.done ??= { bytes: this.buffer.subarray(0, this.received), digests: this.digests.digest() };
    return this.done;
  }

  /** The file written while the bytes arrived, if one was. */
  get staging(): ArrivingBlob | null {
    return this.dropped ? null : this.work.staging;
  }

  /** The PNG check run while the bytes arrived, if one was. */
  get png(): ArrivingPngCheck | null {
    return this.dropped ? null : this.work.png;
  }

  /** The upload is refused or cut off: the check stops and the file written so far is removed. */
  async drop(): Promise<void> {
    if (this.dropped) return;
    this.dropped = true;
    this.work.png?.abort();
    await this.work.staging?.discard();
  }
}
