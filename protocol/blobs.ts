/**
 * Content-addressed blobs and their chunks. A slot lists the SHA-256 of the whole blob and of each
 * chunk, so a receiver checks every chunk as it arrives (from the relay or from any peer) and never
 * holds a bad byte for longer than one chunk.
 */
import { ErrorCode, fail, ok, type Result } from './errors.ts';
import { sha256Hex } from './crypto.ts';
import { bytesEqual, concatBytes } from './bytes.ts';
import { DEFAULT_CHUNK_SIZE } from './limits.ts';

/** What a slot says about its blob: enough to fetch and verify it chunk by chunk. */
export interface BlobDescriptor {
  readonly sha256: string;
  readonly size: number;
  readonly chunkSize: number;
  readonly chunks: readonly string[];
}

/** Number of chunks a blob of `size` bytes has. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** Expected byte length of chunk `index` of a blob. */
export function chunkLength(desc: Pick<BlobDescriptor, 'size' | 'chunkSize'>, index: number): number {
  return Math.min(desc.chunkSize, desc.size - index * desc.chunkSize);
}

/** The bytes of chunk `index` of a whole blob (a view, not a copy). */
export function sliceChunk(blob: Uint8Array, index: number, chunkSize: number): Uint8Array {
  return blob.subarray(index * chunkSize, Math.min(blob.length, (index + 1) * chunkSize));
}

/** Hashes a blob and its chunks: the descriptor a slot carries. */
export async function describeBlob(
  blob: Uint8Array,
  chunkSize = DEFAULT_CHUNK_SIZE,
): Promise<BlobDescriptor> {
  const chunks = await chunkHashes(blob, chunkSize);
  return { sha256: await sha256Hex(blob), size: blob.length, chunkSize, chunks };
}

/** The SHA-256 hex of each chunk of `blob`, cut at `chunkSize`. */
function chunkHashes(blob: Uint8Array, chunkSize: number): Promise<string[]> {
  const n = chunkCount(blob.length, chunkSize);
  return Promise.all(Array.from({ length: n }, (_, i) => sha256Hex(sliceChunk(blob, i, chunkSize))));
}

/** True when a descriptor's chunk list agrees with its size and chunk size. */
export function chunkListFits(desc: BlobDescriptor): boolean {
  return desc.chunks.length === chunkCount(desc.size, desc.chunkSize);
}

/** Computes the SHA-256 hex of bytes. Swappable so that a simulation can memoize it. */
export type Hasher = (bytes: Uint8Array) => Promise<string>;

/** Checks one chunk against the descriptor: index in range, right length, right hash. */
export async function verifyChunk(
  desc: BlobDescriptor,
  index: number,
  bytes: Uint8Array,
  hash: Hasher = sha256Hex,
): Promise<Result<Uint8Array>> {
  const expected = desc.chunks[index];
  if (!Number.isSafeInteger(index) || index < 0 || expected === undefined) {
    return fail(ErrorCode.BAD_MESSAGE, `chunk index ${index} out of range`);
  }
  if (bytes.length !== chunkLength(desc, index)) {
    return fail(
      ErrorCode.HASH_MISMATCH,
      `chunk ${index} has ${bytes.length} bytes, expected ${chunkLength(desc, index)}`,
    );
  }
  if ((await hash(bytes)) !== expected) return fail(ErrorCode.HASH_MISMATCH, `chunk ${index} hash mismatch`);
  return ok(bytes);
}

type Refusal = Extract<Result<never>, { ok: false }>;

/** The checks before any hashing: the blob's size, and a chunk list that fits it. */
function shapeRefusal(desc: BlobDescriptor, size: number): Refusal | null {
  if (size !== desc.size)
    return fail(ErrorCode.HASH_MISMATCH, `blob has ${size} bytes, expected ${desc.size}`);
  if (!chunkListFits(desc)) return fail(ErrorCode.BAD_SLOT, 'chunk list does not fit the blob size');
  return null;
}

const wholeMismatch = (): Refusal => fail(ErrorCode.HASH_MISMATCH, 'blob hash mismatch');

/** The whole hash matched, but a descriptor could pair a right hash with wrong chunk hashes. */
function chunksRefusal(desc: BlobDescriptor, chunks: readonly string[]): Refusal | null {
  const same = chunks.length === desc.chunks.length && chunks.every((h, i) => h === desc.chunks[i]);
  return same ? null : fail(ErrorCode.BAD_SLOT, 'chunk hashes do not match the blob');
}

/** Checks a whole blob against a descriptor: size, every chunk and the whole-blob hash. */
export async function verifyBlob(desc: BlobDescriptor, blob: Uint8Array): Promise<Result<Uint8Array>> {
  const shape = shapeRefusal(desc, blob.length);
  if (shape) return shape;
  if ((await sha256Hex(blob)) !== desc.sha256) return wholeMismatch();
  // A peer that trusts the chunk list must not be led astray by it.
  const chunks = chunksRefusal(desc, await chunkHashes(blob, desc.chunkSize));
  return chunks ?? ok(blob);
}

/**
 * Checks a whole blob by its chunks alone: its size, a chunk list that fits it, and every chunk's
 * hash — not the whole-blob hash. Every byte is then under a hash the release's signature covers, so
 * a player that holds a signed release needs no more: the whole-blob hash names the blob (the relay
 * checks it, and that it agrees with the chunk list, when the blob is uploaded and published). Why
 * not the whole hash too: WebCrypto copies what it hashes, and a 4 MB blob's copy is fresh memory on
 * every call — ~45 ms in a worker of a busy headless Chromium here, against ~8 ms for its 64 chunks,
 * whose copies reuse memory (docs/performance.md, thirteenth round).
 */
export async function verifyBlobChunks(desc: BlobDescriptor, blob: Uint8Array): Promise<Result<Uint8Array>> {
  const shape = shapeRefusal(desc, blob.length);
  if (shape) return shape;
  const hashes = await chunkHashes(blob, desc.chunkSize);
  const bad = hashes.findIndex((hash, i) => hash !== desc.chunks[i]);
  return bad < 0 ? ok(blob) : fail(ErrorCode.HASH_MISMATCH, `chunk ${bad} hash mismatch`);
}

/**
 * {@link verifyBlob}'s checks, in its order and with its codes, on hashes taken already (`taken`: the
 * relay hashes an upload, whole and cut at `desc.chunkSize`, while it streams in).
 */
export function verifyDigests(desc: BlobDescriptor, taken: BlobDescriptor): Result<null> {
  const shape = shapeRefusal(desc, taken.size);
  if (shape) return shape;
  if (taken.sha256 !== desc.sha256) return wholeMismatch();
  return chunksRefusal(desc, taken.chunks) ?? ok(null);
}

/**
 * Collects the chunks of one blob in any order, from any source, verifying each on arrival; yields the
 * whole blob once every chunk is in.
 */
export class BlobAssembler {
  readonly desc: BlobDescriptor;
  private readonly parts: (Uint8Array | undefined)[];
  private have = 0;
  private bytes = 0;

  private readonly hash: Hasher;

  constructor(desc: BlobDescriptor, hash: Hasher = sha256Hex) {
    this.desc = desc;
    this.hash = hash;
    this.parts = new Array<Uint8Array | undefined>(desc.chunks.length).fill(undefined);
  }

  /** Number of chunks held. */
  get received(): number {
    return this.have;
  }

  /** Bytes held so far (for progress bars). */
  get receivedBytes(): number {
    return this.bytes;
  }

  /** True once every chunk is held. */
  get complete(): boolean {
    return this.have === this.parts.length;
  }

  /** True when chunk `index` is already held. */
  has(index: number): boolean {
    return this.parts[index] !== undefined;
  }

  /** Indexes of the chunks still missing, in order. */
  missing(): number[] {
    const out: number[] = [];
    this.parts.forEach((p, i) => p === undefined && out.push(i));
    return out;
  }

  /**
   * Verifies and keeps one chunk. A duplicate of a held chunk is accepted only if identical.
   * A refused chunk leaves the assembler as it was.
   */
  async add(index: number, bytes: Uint8Array): Promise<Result<boolean>> {
    const held = this.parts[index];
    if (held)
      return bytesEqual(held, bytes) ? ok(false) : fail(ErrorCode.HASH_MISMATCH, `chunk ${index} differs`);
    const checked = await verifyChunk(this.desc, index, bytes, this.hash);
    if (!checked.ok) return checked;
    if (this.parts[index] === undefined) {
      // Copy: the caller's buffer may be a view into a reused network buffer.
      // Kept as given, not copied: callers hand over buffers they don't reuse (each data channel
      // message and each decoded base64 chunk is its own buffer), and copies add up in a swarm.
      this.parts[index] = bytes;
      this.have++;
      this.bytes += bytes.length;
    }
    return ok(true);
  }

  /**
   * The whole blob; fails if incomplete. Each chunk was checked against the descriptor's hash as it
   * came (`add`), so every byte is under a hash the release's signature covers, and the whole-blob
   * hash — the blob's name, which the relay checks against the bytes and the chunk list when they
   * come up — is not taken again ({@link verifyBlobChunks}): in a page that is WebCrypto's copy of
   * the whole blob on the main thread, ~45 ms for 4 MB on a busy machine here.
   */
  async assemble(): Promise<Result<Uint8Array>> {
    if (!this.complete)
      return fail(ErrorCode.BLOB_MISSING, `${this.parts.length - this.have} chunks missing`);
    // (A chunk list that does not cover the size — no honest publisher writes one — is refused.)
    const shape = shapeRefusal(this.desc, this.bytes);
    if (shape) return shape;
    return ok(concatBytes(this.parts.filter((p): p is Uint8Array => p !== undefined)));
  }

  /** A chunk held, or undefined (lets a peer serve chunks before it has the whole blob). */
  chunk(index: number): Uint8Array | undefined {
    return this.parts[index];
  }
}
