/**
 * A blob's chunk messages, framed once per wire into one buffer and shared by every connection that
 * asks: the chunks `from`…`to` of a `blob.get` are one view of it, written to the socket in one write
 * — what a bare server does with a file — instead of a write, a callback and a queue entry per
 * 64 KiB chunk. Binary chunk frames for clients that said `binaryChunks`, base64 JSON for the others.
 */
import { BINARY_CHUNK_HEADER_BYTES, MessageType, sliceChunk, writeChunkBody } from '../../protocol/index.ts';
import { ByteLru } from '../store/lru.ts';
import type { Framing } from './framing.ts';
import { BASE64_SLOT, jsonWithBase64 } from './payloads.ts';

/** Every chunk message of one blob, framed for one wire, back to back in one buffer. */
export class FramedBlob {
  /** The framed messages, chunk 0 first. */
  readonly bytes: Buffer;
  /** Where chunk `i`'s message starts in {@link bytes}; the last entry is the end. */
  private readonly offsets: Float64Array;

  constructor(sha256: string, blob: Uint8Array, chunkSize: number, binary: boolean, framing: Framing) {
    const count = Math.ceil(blob.length / chunkSize);
    this.offsets = new Float64Array(count + 1);
    // Binary chunk bodies are written straight into the one buffer (their sizes are known up front):
    // no body per chunk to allocate and copy again — 5 MB less garbage per 5 MB blob and wire, made
    // while the fan-out runs. Base64 JSON bodies are encoded first (their length is the encoder's).
    const bodies: Uint8Array[] | null = binary ? null : [];
    let total = 0;
    for (let i = 0; i < count; i++) {
      const dataLength = Math.min(blob.length, (i + 1) * chunkSize) - i * chunkSize;
      let bodyLength = BINARY_CHUNK_HEADER_BYTES + dataLength;
      if (bodies) {
        const data = sliceChunk(blob, i, chunkSize);
        const body = jsonWithBase64(
          { type: MessageType.blob, sha256, index: i, data: BASE64_SLOT },
          Buffer.from(data.buffer, data.byteOffset, data.length).toString('base64'),
        ).frame.subarray(4);
        bodies.push(body);
        bodyLength = body.length;
      }
      this.offsets[i] = total;
      total += framing.headerLength(bodyLength) + bodyLength;
    }
    this.offsets[count] = total;
    this.bytes = Buffer.allocUnsafe(total);
    for (let i = 0; i < count; i++) {
      const end = this.offsets[i + 1]!;
      const at = this.offsets[i]!;
      if (bodies) {
        const body = bodies[i]!;
        framing.writeHeader(this.bytes, at, body.length, false);
        this.bytes.set(body, end - body.length);
      } else {
        const data = sliceChunk(blob, i, chunkSize);
        const bodyAt = end - BINARY_CHUNK_HEADER_BYTES - data.length;
        framing.writeHeader(this.bytes, at, end - bodyAt, true);
        writeChunkBody(this.bytes, bodyAt, sha256, i, data);
      }
    }
  }

  /** Chunks in the blob. */
  get count(): number {
    return this.offsets.length - 1;
  }

  /** Bytes of the messages of chunks `from` up to (not including) `to`. */
  sizeOf(from: number, to: number): number {
    return this.offsets[to]! - this.offsets[from]!;
  }

  /** The messages of chunks `from` up to (not including) `to`, as one view (no copy). */
  run(from: number, to: number): Buffer {
    return this.bytes.subarray(this.offsets[from], this.offsets[to]);
  }
}

function framedKey(sha256: string, chunkSize: number, binary: boolean, framing: Framing): string {
  return `${sha256}:${chunkSize}:${binary ? 'b' : 'j'}:${framing.name}`;
}

/**
 * Framed blobs, shared by every connection that asks for them, per blob, chunk size, encoding and
 * wire; one lookup per `blob.get`. Bounded by the framed bytes kept.
 */
export class FramedBlobCache {
  private readonly lru: ByteLru<string, FramedBlob>;

  constructor(maxBytes = 128 * 1024 * 1024) {
    this.lru = new ByteLru(maxBytes, (f) => f.bytes.length);
  }

  /** The framed chunk messages of a blob cut in `chunkSize` pieces, for one wire and encoding. */
  get(sha256: string, blob: Uint8Array, chunkSize: number, binary: boolean, framing: Framing): FramedBlob {
    return this.lru.obtain(
      framedKey(sha256, chunkSize, binary, framing),
      () => new FramedBlob(sha256, blob, chunkSize, binary, framing),
    );
  }

  /** True when the blob's messages for this wire and encoding are framed already. */
  has(sha256: string, chunkSize: number, binary: boolean, framing: Framing): boolean {
    return this.lru.peek(framedKey(sha256, chunkSize, binary, framing)) !== undefined;
  }
}
