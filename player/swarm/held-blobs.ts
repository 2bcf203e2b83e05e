/**
 * Chunk bookkeeping on the serving side: the complete, verified blobs a player holds and serves chunk
 * by chunk, and the have-map it opens each link with (whole blobs, and the chunks of blobs still
 * downloading).
 */
import { sliceChunk, type BlobAssembler, type BlobDescriptor } from '../../protocol/blobs.ts';
import { concatBytes } from '../../protocol/bytes.ts';
import { encodeBitfield } from '../../protocol/swarm/wire.ts';

/** A complete blob we can serve, chunk by chunk. */
export interface HeldBlob {
  readonly desc: BlobDescriptor;
  chunk(index: number): Uint8Array | undefined;
  whole(): Uint8Array;
}

/** A blob being downloaded, as far as serving and the have-map care. */
export interface PartialBlob {
  readonly desc: BlobDescriptor;
  readonly asm: BlobAssembler;
  /** Fetched through the swarm: listed in the have-map even while we hold none of it. */
  readonly swarmCarries?: boolean;
}

/** The blobs a player holds whole. */
export class HeldBlobs {
  private readonly blobs = new Map<string, HeldBlob>();

  has(sha256: string): boolean {
    return this.blobs.has(sha256);
  }

  get(sha256: string): HeldBlob | undefined {
    return this.blobs.get(sha256);
  }

  /** Holds a blob given whole (from the cache, or fetched by the owner); false if already held. */
  holdBytes(desc: BlobDescriptor, bytes: Uint8Array): boolean {
    if (this.blobs.has(desc.sha256)) return false;
    this.blobs.set(desc.sha256, {
      desc,
      chunk: (i) => (i < desc.chunks.length ? sliceChunk(bytes, i, desc.chunkSize) : undefined),
      whole: () => bytes,
    });
    return true;
  }

  /**
   * Holds a blob we just assembled. It is served from the assembler's chunks rather than the whole:
   * the owner keeps the whole (and may drop it), and one copy per player is enough.
   */
  holdAssembled({ asm, desc }: PartialBlob): void {
    this.blobs.set(desc.sha256, {
      desc,
      chunk: (i) => asm.chunk(i),
      whole: () => concatBytes(range(desc.chunks.length).map((i) => asm.chunk(i)!)),
    });
  }

  /** Lets go of every blob not in `wanted` and not `busy` (being downloaded). */
  keepOnly(wanted: ReadonlySet<string>, busy: (sha256: string) => boolean): void {
    for (const sha of this.blobs.keys()) if (!wanted.has(sha) && !busy(sha)) this.blobs.delete(sha);
  }

  /**
   * The have-map of `peer.hello`: every held blob whole, and the chunks we have of `partial` ones
   * (those fetched through the swarm even when we have none: it tells peers we fetch them).
   */
  haveMap(partial: Iterable<PartialBlob>): Record<string, string> {
    const have: Record<string, string> = {};
    for (const [sha, { desc }] of this.blobs)
      have[sha] = encodeBitfield(range(desc.chunks.length), desc.chunks.length);
    for (const { desc, asm, swarmCarries } of partial) {
      const indexes = range(desc.chunks.length).filter((i) => asm.has(i));
      if (indexes.length > 0 || swarmCarries) have[desc.sha256] = encodeBitfield(indexes, desc.chunks.length);
    }
    return have;
  }
}

/** 0, 1, …, n − 1. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
