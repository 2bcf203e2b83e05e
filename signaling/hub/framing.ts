/**
 * How a wire puts a message on the socket: the header in front of each message body. The framed TCP
 * port puts a 4-byte length (`protocol/frame.ts`); a WebSocket puts an RFC 6455 frame header (the
 * transport defines it). The hub writes framed bytes to sockets itself, so that bytes sent to many —
 * a release announcement, a blob's chunks — are framed once per wire and every connection is handed
 * the same buffer (server-to-client WebSocket frames are unmasked: the same bytes for everyone).
 */
import type { Payload } from './outbox.ts';

/** A wire's framing. */
export abstract class Framing {
  /** Names the framing in caches of framed bytes. */
  abstract readonly name: string;

  /** Bytes of the header in front of a body of `bodyLength` bytes. */
  abstract headerLength(bodyLength: number): number;

  /** Writes the header of a body of `bodyLength` bytes (`binary`: a binary message) at `out[at]`. */
  abstract writeHeader(out: Uint8Array, at: number, bodyLength: number, binary: boolean): void;

  /** A payload framed by this framing, made once per payload and kept while the payload lives. */
  private readonly framed = new WeakMap<Payload, Buffer>();

  /** The bytes of a message on this wire. */
  bytesOf(payload: Payload): Buffer {
    const hit = this.framed.get(payload);
    if (hit) return hit;
    const body = payload.frame.subarray(4);
    const out = Buffer.allocUnsafe(this.headerLength(body.length) + body.length);
    this.writeHeader(out, 0, body.length, payload.binary === true);
    out.set(body, out.length - body.length);
    this.framed.set(payload, out);
    return out;
  }
}

/** The framed TCP port's framing: `[4-byte big-endian length][body]`, a payload's own `frame`. */
class LengthPrefix extends Framing {
  readonly name = 'tcp';

  headerLength(): number {
    return 4;
  }

  writeHeader(out: Uint8Array, at: number, bodyLength: number): void {
    new DataView(out.buffer, out.byteOffset, out.length).setUint32(at, bodyLength, false);
  }

  override bytesOf(payload: Payload): Buffer {
    const f = payload.frame;
    return Buffer.isBuffer(f) ? f : Buffer.from(f.buffer, f.byteOffset, f.length);
  }
}

/** The TCP port's framing. */
export const TCP_FRAMING: Framing = new LengthPrefix();
