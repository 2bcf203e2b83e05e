/**
 * The WebSocket channel `/ws`: one message per text frame, the same messages as the TCP port. The
 * server is created with `noServer` and receives upgrades routed to it by path (see `server.ts`), so
 * it never answers, or aborts, a handshake meant for the PeerJS server on the same port.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { decodeBody, type CloseCode } from '../../protocol/index.ts';
import type { Wire } from '../hub/conn.ts';
import type { Hub } from '../hub/hub.ts';
import type { Payload } from '../hub/outbox.ts';

/** A WebSocket close reason may hold at most 123 bytes of UTF-8. */
function closeReason(text: string): string {
  let out = text.slice(0, 123);
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

class WsWire implements Wire {
  transport = 'ws' as const;
  readonly sliceBytes = Infinity;

  constructor(
    private readonly ws: WebSocket,
    readonly address: string,
    readonly port: number,
  ) {}

  bytesOf(payload: Payload): Uint8Array {
    return payload.frame.subarray(4);
  }

  write(bytes: Uint8Array, done: (error?: Error | null) => void, binary = false): void {
    if (this.ws.readyState !== this.ws.OPEN) return done(new Error('socket not open'));
    this.ws.send(bytes, { binary }, (error) => done(error ?? null));
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
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, req));
  }

  private serve(ws: WebSocket, req: IncomingMessage): void {
    const address = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    const conn = this.hub.open(new WsWire(ws, address, req.socket.remotePort ?? 0));
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
