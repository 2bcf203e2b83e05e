/**
 * The frame codec of the TCP channel (and the seed's protocol): `[4-byte big-endian length][body]`,
 * where the body is UTF-8 JSON — or, for one message only, a **binary chunk**: a `blob` chunk's raw
 * bytes behind a 37-byte header (see {@link BINARY_CHUNK_TAG}). On the WebSocket channel the same
 * bodies travel as text messages and binary messages. The seed protocol never carries binary bodies.
 *
 * The decoder takes bytes in any split, refuses a frame whose header announces more than the limit
 * before buffering a single body byte, and reports every problem as a typed error.
 */
import { ErrorCode, type ErrorCode as Code } from './errors.ts';
import { fromHex, fromUtf8, toHex, utf8 } from './bytes.ts';
import { MAX_FRAME_BYTES } from './limits.ts';

/** Length of the frame header. */
export const FRAME_HEADER_BYTES = 4;

/** Frames the UTF-8 JSON of a value. */
export function encodeFrame(value: unknown): Uint8Array {
  return frameBytes(utf8(JSON.stringify(value)));
}

/** Frames a body that is already UTF-8 JSON (lets a server encode once and send to many). */
export function frameBytes(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + body.length);
  new DataView(out.buffer).setUint32(0, body.length, false);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

/** One item out of the decoder: a parsed JSON value, or why a frame was refused. */
export type DecodedFrame =
  | { readonly ok: true; readonly value: unknown; readonly bytes: number }
  | { readonly ok: false; readonly code: Code; readonly message: string; readonly fatal: boolean };

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Largest body accepted (default {@link MAX_FRAME_BYTES}). */
  readonly maxFrameBytes?: number;
}

/**
 * Incremental frame decoder. `push` bytes as they arrive; it returns the frames completed by them.
 *
 * A bad body (invalid UTF-8 or JSON) is reported and skipped: the framing is intact, so decoding goes
 * on. A header over the limit is fatal: the decoder yields one `FRAME_TOO_LARGE` and then stays
 * failed, holding no bytes, because the stream can no longer be trusted to be in step.
 */
export class FrameDecoder {
  private readonly max: number;
  private readonly chunks: Uint8Array[] = [];
  private held = 0;
  private need = -1; // body length of the frame in progress, or -1 while reading a header
  private failed = false;

  constructor(options: FrameDecoderOptions = {}) {
    this.max = options.maxFrameBytes ?? MAX_FRAME_BYTES;
  }

  /** Bytes held, waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.held;
  }

  /** True after a fatal error: further input is ignored. */
  get isFailed(): boolean {
    return this.failed;
  }

  /** Feeds bytes; returns the frames (and errors) they complete, in order. */
  push(bytes: Uint8Array): DecodedFrame[] {
    const out: DecodedFrame[] = [];
    if (this.failed || bytes.length === 0) return out;
    this.chunks.push(bytes);
    this.held += bytes.length;
    for (;;) {
      if (this.need < 0) {
        if (this.held < FRAME_HEADER_BYTES) break;
        const header = this.take(FRAME_HEADER_BYTES);
        const length = new DataView(header.buffer, header.byteOffset, 4).getUint32(0, false);
        if (length > this.max) {
          this.failed = true;
          this.chunks.length = 0;
          this.held = 0;
          out.push({
            ok: false,
            code: ErrorCode.FRAME_TOO_LARGE,
            message: `frame of ${length} bytes is over the limit of ${this.max}`,
            fatal: true,
          });
          break;
        }
        this.need = length;
      }
      if (this.held < this.need) break;
      const body = this.take(this.need);
      this.need = -1;
      out.push(decodeBody(body));
    }
    return out;
  }

  /** Call at end of stream: reports a frame cut short, if one was in progress. */
  end(): DecodedFrame[] {
    if (this.failed || (this.held === 0 && this.need < 0)) return [];
    const message =
      this.need < 0
        ? `stream ended inside a frame header (${this.held} of 4 bytes)`
        : `stream ended inside a frame (${this.held} of ${this.need} bytes)`;
    this.chunks.length = 0;
    this.held = 0;
    this.need = -1;
    return [{ ok: false, code: ErrorCode.FRAME_TRUNCATED, message, fatal: true }];
  }

  /** Removes and returns the first `n` held bytes, copying only when they span chunks. */
  private take(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first && first.length >= n) {
      const head = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.held -= n;
      return head;
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const use = Math.min(c.length, n - at);
      out.set(c.subarray(0, use), at);
      at += use;
      if (use === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(use);
    }
    this.held -= n;
    return out;
  }
}

/**
 * First byte of a binary chunk body. It is a UTF-8 continuation byte, which no UTF-8 text starts
 * with, so no JSON body is ever taken for a binary one, and a decoder that knows only JSON refuses it
 * as `BAD_UTF8` (not fatal) instead of misreading it. The body:
 *
 * ```
 * offset 0   1 byte    0xB1
 * offset 1   32 bytes  the blob's SHA-256, raw
 * offset 33  4 bytes   the chunk's index, unsigned big-endian
 * offset 37  …         the chunk's bytes (the rest of the body)
 * ```
 *
 * It means the same as the JSON message `{"type":"blob","sha256":…,"index":…,"data":"<base64>"}`
 * at three quarters of the size, with nothing to decode. The relay sends it only to clients whose
 * `hello` said `binaryChunks: true`.
 */
export const BINARY_CHUNK_TAG = 0xb1;

/** Bytes of a binary chunk body before the chunk's bytes. */
export const BINARY_CHUNK_HEADER_BYTES = 1 + 32 + 4;

/**
 * Writes a binary chunk body into `out` at `at` (which needs {@link BINARY_CHUNK_HEADER_BYTES} + data):
 * a sender that frames many chunks into one buffer writes them in place, without a buffer each.
 */
export function writeChunkBody(
  out: Uint8Array,
  at: number,
  sha256: string,
  index: number,
  data: Uint8Array,
): void {
  out[at] = BINARY_CHUNK_TAG;
  out.set(fromHex(sha256), at + 1);
  new DataView(out.buffer, out.byteOffset).setUint32(at + 33, index, false);
  out.set(data, at + BINARY_CHUNK_HEADER_BYTES);
}

/** The binary chunk body of chunk `index` of blob `sha256` (a WebSocket binary message). */
export function encodeChunkBody(sha256: string, index: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(BINARY_CHUNK_HEADER_BYTES + data.length);
  writeChunkBody(out, 0, sha256, index, data);
  return out;
}

/** The same as a TCP frame, header included, built in one buffer (the relay encodes it once). */
export function encodeChunkFrame(sha256: string, index: number, data: Uint8Array): Uint8Array {
  const length = BINARY_CHUNK_HEADER_BYTES + data.length;
  const out = new Uint8Array(FRAME_HEADER_BYTES + length);
  new DataView(out.buffer).setUint32(0, length, false);
  writeChunkBody(out, FRAME_HEADER_BYTES, sha256, index, data);
  return out;
}

/**
 * Reads a binary chunk body into the value of a `blob` message with `bytes` in place of `data`
 * (`parseMessage` still validates it). The bytes are a view of `body`, not a copy.
 */
function decodeChunkBody(body: Uint8Array): DecodedFrame {
  if (body.length < BINARY_CHUNK_HEADER_BYTES) {
    return {
      ok: false,
      code: ErrorCode.BAD_MESSAGE,
      message: `binary chunk of ${body.length} bytes is shorter than its ${BINARY_CHUNK_HEADER_BYTES}-byte header`,
      fatal: false,
    };
  }
  const index = new DataView(body.buffer, body.byteOffset, body.length).getUint32(33, false);
  const value = {
    type: 'blob',
    sha256: toHex(body.subarray(1, 33)),
    index,
    bytes: body.subarray(BINARY_CHUNK_HEADER_BYTES),
  };
  return { ok: true, value, bytes: body.length };
}

/** True when a body is a binary chunk (its first byte is {@link BINARY_CHUNK_TAG}). */
export function isBinaryChunkBody(body: Uint8Array): boolean {
  return body[0] === BINARY_CHUNK_TAG;
}

/** Parses one frame body: a binary chunk, or strict UTF-8, then JSON. */
export function decodeBody(body: Uint8Array): DecodedFrame {
  if (isBinaryChunkBody(body)) return decodeChunkBody(body);
  let text: string;
  try {
    text = fromUtf8(body);
  } catch (cause) {
    return {
      ok: false,
      code: ErrorCode.BAD_UTF8,
      message: `frame is not valid UTF-8: ${String(cause)}`,
      fatal: false,
    };
  }
  try {
    const value: unknown = JSON.parse(text);
    return { ok: true, value, bytes: body.length };
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return {
      ok: false,
      code: ErrorCode.BAD_JSON,
      message: `frame is not valid JSON: ${detail}`,
      fatal: false,
    };
  }
}
