/**
 * A blob's chunk messages, framed once per wire into one buffer and shared by every connection that
 * asks: the chunks `from`…`to` of a `blob.get` are one view of it, written to the socket in one write
 * — what a bare server does with a file — instead of a write, a callback and a queue entry per
 * 64 KiB chunk. Binary chunk frames for clients that said `binaryChunks`, base64 JSON for the others.
 */
import { encodeChunkBody, MessageType, sliceChunk } from '../../protocol/index.ts';
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
    const bodies: Uint8Array[] = [];
    this.offsets = new Float64Array(count + 1);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const data = sliceChunk(blob, i, chunkSize);
      const body = binary
        ? encodeChunkBody(sha256, i, data)
        : jsonWithBase64(
            { type: MessageType.blob, sha256, index: i, data: BASE64_SLOT },
            Buffer.from(data.buffer, data.byteOffset, data.length).toString('base64'),
          ).frame.subarray(4);
      bodies.push(body);
      this.offsets[i] = total;
      total += framing.headerLength(body.length) + body.length;
    }
    this.offsets[count] = total;
    this.bytes = Buffer.allocUnsafe(total);
    for (let i = 0; i < count; i++) {
      const body = bodies[i]!;
      const at = this.offsets[i]!;
      framing.writeHeader(this.bytes, at, body.length, binary);
      this.bytes.set(body, this.offsets[i + 1]! - body.length);
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
    const key = `${sha256}:${chunkSize}:${binary ? 'b' : 'j'}:${framing.name}`;
    const hit = this.lru.get(key);
    if (hit) return hit;
    const framed = new FramedBlob(sha256, blob, chunkSize, binary, framing);
    this.lru.set(key, framed);
    return framed;
  }
}
