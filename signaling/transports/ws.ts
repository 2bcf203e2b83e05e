/**
 * The WebSocket channel `/ws`: one message per text frame (binary chunk frames as binary messages),
 * the same messages as the TCP port. The server is created with `noServer` and receives upgrades
 * routed to it by path (see `server.ts`), so it never answers, or aborts, a handshake meant for the
 * PeerJS server on the same port.
 *
 * `ws` does the handshake, reads, pings, pongs and closes; what the hub sends is framed by the hub
 * ({@link WS_FRAMING}) and written to the socket directly, so that bytes sent to many — a release,
 * a blob's chunks — are framed once and shared (a server's frames are unmasked: the same bytes for
 * every client). Every write is whole frames, so `ws`'s own frames (a pong, the close) land between
 * frames, never inside one.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { decodeBody, type CloseCode } from '../../protocol/index.ts';
import type { Wire } from '../hub/conn.ts';
import { requestAddress } from '../net/client-address.ts';
import type { Hub } from '../hub/hub.ts';
import { Framing } from '../hub/framing.ts';
import { unflushedOf } from './unflushed.ts';

/** A WebSocket close reason may hold at most 123 bytes of UTF-8. */
function closeReason(text: string): string {
  let out = text.slice(0, 123);
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

/** RFC 6455 framing of a server's messages: FIN, opcode 1 (text) or 2 (binary), no mask. */
class WsFraming extends Framing {
  readonly name = 'ws';

  headerLength(bodyLength: number): number {
    return bodyLength < 126 ? 2 : bodyLength < 65536 ? 4 : 10;
  }

  writeHeader(out: Uint8Array, at: number, bodyLength: number, binary: boolean): void {
    out[at] = binary ? 0x82 : 0x81;
    const view = new DataView(out.buffer, out.byteOffset, out.length);
    if (bodyLength < 126) out[at + 1] = bodyLength;
    else if (bodyLength < 65536) {
      out[at + 1] = 126;
      view.setUint16(at + 2, bodyLength, false);
    } else {
      out[at + 1] = 127;
      view.setUint32(at + 2, Math.floor(bodyLength / 2 ** 32), false);
      view.setUint32(at + 6, bodyLength >>> 0, false);
    }
  }
}

/** The framing of `/ws`. */
export const WS_FRAMING: Framing = new WsFraming();

class WsWire implements Wire {
  transport = 'ws' as const;
  readonly framing = WS_FRAMING;
  // Whole messages per write: ws writes its pongs and close frame to the same socket.
  readonly sliceBytes = Infinity;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
    readonly address: string,
    readonly port: number,
  ) {}

  write(bytes: Uint8Array, done: (error?: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) return done(new Error('socket not open'));
    this.socket.write(bytes, done);
  }

  unflushedBytes(): number | undefined {
    return unflushedOf(this.socket);
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  end(code: CloseCode, reason: string): void {
    this.ws.close(code, closeReason(reason));
  }

  destroy(): void {
    this.ws.terminate();
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/** The `/ws` endpoint. */
export class WsEndpoint {
  private readonly wss: WebSocketServer;

  constructor(
    private readonly hub: Hub,
    maxInboundFrameBytes: number,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: maxInboundFrameBytes,
      perMessageDeflate: false,
      // Our decoder checks UTF-8 itself, so that bad text gets a BAD_UTF8 error, not a bare close.
      skipUTF8Validation: true,
    });
  }

  /** Takes an HTTP upgrade request for `/ws`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, req, socket));
  }

  private serve(ws: WebSocket, req: IncomingMessage, socket: Duplex): void {
    const address = requestAddress(req);
    const conn = this.hub.open(new WsWire(ws, socket, address, req.socket.remotePort ?? 0));
    ws.on('message', (data) => this.hub.receive(conn, decodeBody(toBytes(data))));
    ws.on('error', () => {
      // ws closes the socket itself (e.g. a message over maxPayload: close 1009); 'close' follows.
    });
    ws.on('close', () => this.hub.closed(conn));
  }

  /** Closes every WebSocket. */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
