/**
 * PeerJS signaling at `/peerjs` (the `peer` package's ExpressPeerServer) under the relay's rules: at
 * most `maxPerAddress` sockets from one address, no message larger than `maxMessageBytes` (the `ws`
 * `maxPayload`: an oversize message is refused while it arrives, never buffered whole), and every id
 * it registers reported to the hub's {@link PeerIds}, which lists only ids registered from the
 * announcing session's own address.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { ExpressPeerServer } from 'peer';
import { WebSocketServer, type WebSocket } from 'ws';
import { ErrorCode } from '../../protocol/index.ts';
import type { PeerIds } from '../hub/peer-ids.ts';
import type { Metrics } from '../metrics.ts';
import { requestAddress } from '../net/client-address.ts';

/** Default most `/peerjs` sockets one address may hold (a campus NAT's players, each with one). */
export const DEFAULT_PEERJS_PER_ADDRESS = 2_500;
/** Default largest PeerJS message (offers, answers and candidates are a few KiB). */
export const DEFAULT_PEERJS_MAX_MESSAGE_BYTES = 64 * 1024;

/** What {@link PeerJsEndpoint} needs. */
export interface PeerJsOptions {
  readonly maxPerAddress: number;
  readonly maxMessageBytes: number;
  readonly peerIds: PeerIds;
  readonly metrics: Metrics;
  readonly log: (message: string) => void;
}

/** The `/peerjs` endpoint: an Express app to mount, and its WebSocket upgrades. */
export class PeerJsEndpoint {
  readonly app: ReturnType<typeof ExpressPeerServer>;
  private wss: WebSocketServer | null = null;
  private readonly perAddress = new Map<string, number>();
  private readonly addressOf = new WeakMap<WebSocket, string>();
  /**
   * In a cluster: sees each message a socket sends before the PeerJS server does, and returns true
   * for one it takes over (a message for a peer on another node: `signaling/cluster/peer-route.ts`);
   * `pass` hands it to the PeerJS server after all.
   */
  intercept: ((socket: WebSocket, data: unknown, pass: () => void) => boolean) | null = null;

  constructor(
    http: HttpServer,
    private readonly options: PeerJsOptions,
  ) {
    this.app = ExpressPeerServer(http, {
      path: '/',
      allow_discovery: false,
      createWebSocketServer: (wsOptions) => {
        this.wss = new WebSocketServer({
          noServer: true,
          maxPayload: options.maxMessageBytes,
          ...(wsOptions.path ? { path: wsOptions.path } : {}),
        });
        return this.wss;
      },
    });
    this.app.on('connection', (client) => {
      const socket = client.getSocket();
      const address = socket ? this.addressOf.get(socket) : undefined;
      if (address !== undefined) options.peerIds.register(client.getId(), address);
    });
    // The peer server re-emits its sockets' errors (an oversize message among them) on itself: with no
    // listener, that would throw and take the relay down. Each is counted where the socket fails.
    this.app.on('error', () => {});
    this.app.on('disconnect', (client) => {
      const socket = client.getSocket();
      const address = socket ? this.addressOf.get(socket) : undefined;
      if (address !== undefined) options.peerIds.unregister(client.getId(), address);
    });
  }

  private refuse(code: ErrorCode, address: string, why: string): void {
    this.options.metrics.refusals.inc({ code, source: 'peerjs' });
    this.options.log(`peerjs: refused ${code} from ${address}: ${why}`);
  }

  /** An upgrade to `/peerjs…`: admitted within the per-address cap, else answered 429. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const wss = this.wss;
    const address = requestAddress(req);
    if (!wss) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const held = this.perAddress.get(address) ?? 0;
    if (held >= this.options.maxPerAddress) {
      this.refuse(ErrorCode.TOO_MANY_CONNECTIONS, address, `${held} PeerJS sockets already`);
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.perAddress.set(address, held + 1);
    this.options.metrics.peerjsSocketsTotal.inc();
    let counted = true;
    const uncount = () => {
      if (!counted) return;
      counted = false;
      const n = (this.perAddress.get(address) ?? 1) - 1;
      if (n <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, n);
    };
    socket.once('close', uncount);
    wss.handleUpgrade(req, socket, head, (client) => {
      this.addressOf.set(client, address);
      client.on('error', (error: Error & { code?: string }) => {
        if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
          const why = `a message over ${this.options.maxMessageBytes} bytes`;
          this.refuse(ErrorCode.FRAME_TOO_LARGE, address, why);
        }
      });
      client.once('close', uncount);
      // The PeerJS server has no hook for a destination it does not hold: messages pass by here first.
      const emit = client.emit.bind(client);
      client.emit = (event: string | symbol, ...args: unknown[]): boolean =>
        event === 'message' && this.intercept?.(client, args[0], () => emit(event, ...args)) === true
          ? true
          : emit(event, ...args);
      wss.emit('connection', client, req);
    });
  }

  /** Closes every PeerJS socket. */
  close(): void {
    const wss = this.wss;
    if (!wss) return;
    for (const client of wss.clients) client.terminate();
    wss.close();
  }
}
