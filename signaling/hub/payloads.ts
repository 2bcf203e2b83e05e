/**
 * Encoding messages once and sharing the bytes: a release announcement is encoded once per release
 * for every connection of the room, and a blob chunk once for every client that asks for it (in a
 * bounded cache), so fan-out costs writes, not JSON work.
 */
import {
  encodeFrame,
  errorMessage,
  MessageType,
  type ErrorCode,
  type Message,
} from '../../protocol/index.ts';
import { ByteLru } from '../store/lru.ts';
import type { Payload } from './outbox.ts';

/** Encodes one message (or any JSON value, for the seed protocol). */
export function payloadOf(message: Message | object): Payload {
  return { frame: encodeFrame(message) };
}

/** Encodes an `error` message. */
export function errorPayload(code: ErrorCode, message: string, fatal: boolean): Payload {
  return payloadOf(errorMessage(code, message, fatal));
}

/** Upper bound of the encoded size of a chunk message, for queue accounting before encoding. */
export function chunkPayloadEstimate(chunkBytes: number): number {
  return Math.ceil(chunkBytes / 3) * 4 + 160;
}

/** Encoded `blob` chunk messages, shared by every connection that asks for them. */
export class ChunkCache {
  private readonly lru: ByteLru<string, Payload>;

  constructor(maxBytes = 128 * 1024 * 1024) {
    this.lru = new ByteLru(maxBytes, (p) => p.frame.length);
  }

  /** The `blob` message for chunk `index` of a blob cut in `chunkSize` pieces. */
  chunk(sha256: string, blob: Uint8Array, chunkSize: number, index: number): Payload {
    const key = `${sha256}:${chunkSize}:${index}`;
    const hit = this.lru.get(key);
    if (hit) return hit;
    const start = index * chunkSize;
    const bytes = Buffer.from(blob.buffer, blob.byteOffset + start, Math.min(chunkSize, blob.length - start));
    const payload = payloadOf({
      type: MessageType.blob,
      sha256,
      index,
      data: bytes.toString('base64'),
    });
    this.lru.set(key, payload);
    return payload;
  }
}
