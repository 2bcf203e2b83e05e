/**
 * The TCP port: our framed protocol (`[4-byte length][JSON]`) and, told apart by the first byte, the
 * seed protocol (an unframed `{"type":"client_info",…}` hello, then frames). Frames are reassembled
 * across reads and capped in size before a body byte is buffered.
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  ErrorCode,
  FrameDecoder,
  decodeBody,
  looksLikeSeedHello,
  scanJsonObjectEnd,
  type Transport,
} from '../../protocol/index.ts';
import type { Conn, Wire } from '../hub/conn.ts';
import type { Hub } from '../hub/hub.ts';
import { TCP_FRAMING } from '../hub/framing.ts';
import { unflushedOf } from './unflushed.ts';
import { errorPayload } from '../hub/payloads.ts';

/** Options of {@link createTcpServer}. */
export interface TcpOptions {
  /** Largest frame a client may send. */
  readonly maxInboundFrameBytes: number;
  /** Largest unframed seed hello (the seed server read it with one `recv(1024)`). */
  readonly maxSeedHelloBytes?: number;
  /**
   * Bytes per write of a big frame (a seed `hot_update` with a whole image) or run of chunk frames:
   * the unit of progress the fan-out scheduler sees. By default the hub's window
   * (`--write-window-bytes`), so each write is a whole window, handed over once the previous one was
   * taken. (Smaller pieces in one corked `writev` only cost more: its callbacks all run when the last
   * byte is handed over.)
   */
  readonly sliceBytes?: number;
  /**
   * Asked first for each new socket (its client's address behind a trusted balancer, the per-address
   * connection rate, the cluster's limits): a refusal gets a fatal error frame with its code (none
   * when `code` is null) and the socket is closed before the hub sees it.
   */
  readonly admit?: (socket: Socket) => TcpAdmission | Promise<TcpAdmission>;
}

/** What {@link TcpOptions.admit} decides for a new socket. */
export type TcpAdmission =
  | { readonly ok: true; readonly address: string }
  | { readonly ok: false; readonly code: ErrorCode | null; readonly message: string };

class TcpWire implements Wire {
  transport: Transport = 'tcp';
  readonly framing = TCP_FRAMING;
  readonly address: string;
  readonly port: number;

  constructor(
    private readonly socket: Socket,
    readonly sliceBytes: number,
    address: string,
  ) {
    this.address = address;
    this.port = socket.remotePort ?? 0;
  }

  write(bytes: Uint8Array, done: (error?: Error | null) => void): void {
    if (this.socket.destroyed) return done(new Error('socket destroyed'));
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

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Admits a new TCP connection, then serves it. */
function acceptSocket(hub: Hub, socket: Socket, options: TcpOptions): void {
  socket.setNoDelay(true);
  const admission: TcpAdmission | Promise<TcpAdmission> = options.admit?.(socket) ?? {
    ok: true,
    address: (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, ''),
  };
  const decided = (a: TcpAdmission) => {
    if (a.ok) return serveSocket(hub, socket, options, a.address);
    if (a.code === null) return void socket.destroy();
    socket.end(errorPayload(a.code, a.message, true).frame);
  };
  if (!(admission instanceof Promise)) return decided(admission);
  socket.on('error', () => {});
  admission.then(
    (a) => (socket.destroyed ? undefined : decided(a)),
    () => socket.destroy(),
  );
}

/** Serves one admitted TCP connection. */
function serveSocket(hub: Hub, socket: Socket, options: TcpOptions, address: string): void {
  const wire = new TcpWire(socket, options.sliceBytes ?? hub.options.outbox.windowBytes, address);
  const conn: Conn = hub.open(wire);
  const decoder = new FrameDecoder({ maxFrameBytes: options.maxInboundFrameBytes });
  const maxHello = options.maxSeedHelloBytes ?? 8 * 1024;
  let mode: 'sniff' | 'framed' | 'seed-hello' | 'seed' = 'sniff';
  let helloBytes = Buffer.alloc(0);

  const feed = (bytes: Uint8Array) => {
    // Frames after a seed hello go to the connection's seed session, like any other frame.
    for (const frame of decoder.push(bytes)) hub.receive(conn, frame);
  };

  socket.on('data', (chunk: Buffer) => {
    if (!conn.live) return;
    if (mode === 'sniff') mode = looksLikeSeedHello(chunk[0] ?? 0) ? 'seed-hello' : 'framed';
    if (mode !== 'seed-hello') return feed(chunk);
    helloBytes = Buffer.concat([helloBytes, chunk]);
    const end = scanJsonObjectEnd(helloBytes);
    // The limit is on the hello itself, however the bytes arrived (frames may follow it at once).
    if (end < 0 ? helloBytes.length > maxHello : end > maxHello) {
      return hub.fail(
        conn,
        ErrorCode.BAD_MESSAGE,
        `seed hello is over ${maxHello} bytes or not a JSON object`,
      );
    }
    if (end < 0) return;
    const body = decodeBody(helloBytes.subarray(0, end));
    const rest = helloBytes.subarray(end);
    helloBytes = Buffer.alloc(0);
    mode = 'seed';
    if (!body.ok) return hub.fail(conn, body.code, body.message);
    hub.receiveSeedHello(conn, body.value);
    if (rest.length > 0) feed(rest);
  });
  socket.on('end', () => {
    if (conn.live) {
      for (const frame of decoder.end()) hub.receive(conn, frame);
    }
    // The peer will send nothing more; whatever we still owe it is flushed by the error path or lost.
    if (conn.live) socket.end();
  });
  socket.on('error', () => {
    // 'close' follows; a reset is an ordinary way for a client to leave.
  });
  socket.on('close', () => hub.closed(conn));
  // A socket whose PROXY header was read was paused there, with the bytes after it put back.
  socket.resume();
}

/** Creates the TCP server (not listening yet). */
export function createTcpServer(hub: Hub, options: TcpOptions): Server {
  const server = createServer({ noDelay: true }, (socket) => acceptSocket(hub, socket, options));
  return server;
}
