/**
 * Encoding messages once and sharing the bytes: a release announcement is encoded once per release
 * for every connection of the room (and a blob's chunks once per wire, `framed-blob.ts`), so fan-out
 * costs writes, not JSON work.
 */
import {
  BINARY_CHUNK_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  encodeFrame,
  errorMessage,
  MessageType,
  type ErrorCode,
  type Message,
  type SignedRelease,
} from '../../protocol/index.ts';
import type { Payload } from './outbox.ts';

/** Encodes one message (or any JSON value, for the seed protocol). */
export function payloadOf(message: Message | object): Payload {
  return { frame: encodeFrame(message) };
}

/** Encodes an `error` message. */
export function errorPayload(
  code: ErrorCode,
  message: string,
  fatal: boolean,
  retryAfterMs?: number,
  retrySpreadMs?: number,
): Payload {
  return payloadOf(errorMessage(code, message, fatal, retryAfterMs, retrySpreadMs));
}

/** The `release` message of each room's latest release, encoded once and sent to every connection. */
export class ReleasePayloads {
  private readonly byRoom = new Map<string, { seq: number; payload: Payload }>();

  /** The encoded `release` message of `signed`. */
  of(signed: SignedRelease): Payload {
    const room = signed.release.room;
    const hit = this.byRoom.get(room);
    if (hit && hit.seq === signed.release.seq) return hit.payload;
    const payload = payloadOf({ type: MessageType.release, signed });
    this.byRoom.set(room, { seq: signed.release.seq, payload });
    return payload;
  }
}

/** Upper bound of the encoded size of a chunk message, for queue accounting before encoding. */
export function chunkPayloadEstimate(chunkBytes: number, binary = false): number {
  if (binary) return FRAME_HEADER_BYTES + BINARY_CHUNK_HEADER_BYTES + chunkBytes;
  return Math.ceil(chunkBytes / 3) * 4 + 160;
}

/** Placeholder for a big base64 string inside a JSON message (never valid base64 itself). */
export const BASE64_SLOT = '\u0000base64\u0000';

/** The JSON text of `message` before and after its {@link BASE64_SLOT}, as bytes. */
function aroundBase64(message: object): { before: Buffer; after: Buffer } {
  const json = JSON.stringify(message);
  const marker = JSON.stringify(BASE64_SLOT).slice(1, -1);
  const at = json.indexOf(marker);
  if (at < 0) throw new TypeError('message has no base64 slot');
  return {
    before: Buffer.from(json.slice(0, at), 'utf8'),
    after: Buffer.from(json.slice(at + marker.length), 'utf8'),
  };
}

/**
 * Frames a message that has one big base64 string (marked by {@link BASE64_SLOT}) without running
 * the big string through `JSON.stringify` and a UTF-8 encoder: base64 needs no escaping and is
 * ASCII, so the frame is the JSON around it with the string's bytes written in place. `base64` may
 * be those bytes already (a texture's base64 made when it was uploaded, `seed-image.ts`).
 */
export function jsonWithBase64(message: object, base64: string | Uint8Array): Payload {
  const { before, after } = aroundBase64(message);
  const bodyLength = before.length + base64.length + after.length;
  const frame = Buffer.allocUnsafe(4 + bodyLength);
  frame.writeUInt32BE(bodyLength, 0);
  before.copy(frame, 4);
  if (typeof base64 === 'string') frame.write(base64, 4 + before.length, 'latin1');
  else frame.set(base64, 4 + before.length);
  after.copy(frame, 4 + before.length + base64.length);
  return { frame };
}

/**
 * {@link jsonWithBase64} without copying the base64: it is already at `room[at, at + length)`, and
 * the frame's header and the JSON around it are written into the free bytes on either side — the
 * frame is a view of `room`. Null when they do not fit there.
 */
export function jsonAroundBase64(message: object, room: Buffer, at: number, length: number): Payload | null {
  const { before, after } = aroundBase64(message);
  const start = at - before.length - 4;
  const end = at + length + after.length;
  if (start < 0 || end > room.length) return null;
  room.writeUInt32BE(before.length + length + after.length, start);
  before.copy(room, start + 4);
  after.copy(room, at + length);
  return { frame: room.subarray(start, end) };
}
