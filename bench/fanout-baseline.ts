/**
 * The plain baselines of the fan-out benchmark: a bare `net` server that writes one prebuilt buffer
 * to N sockets — no JSON work, no checks, no queues — either to all at once or K at a time, each
 * waiting until its bytes are handed to the kernel (the seed's `sendall` loop is K = 1).
 */
import { createServer, type Server, type Socket } from 'node:net';

/** How the bare server schedules its writes. */
export type BaselineMode = { readonly kind: 'all' } | { readonly kind: 'pool'; readonly size: number };

/** A bare server. */
export class BareServer {
  readonly sockets: Socket[] = [];
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(host = '127.0.0.1'): Promise<BareServer> {
    return new Promise((resolve) => {
      let bare: BareServer;
      const server = createServer({ noDelay: true }, (socket) => {
        socket.on('error', () => {});
        bare.sockets.push(socket);
        for (const w of bare.waiters.splice(0)) w();
      });
      server.listen({ port: 0, host, backlog: 4096 }, () => {
        const address = server.address();
        bare = new BareServer(server, address !== null && typeof address === 'object' ? address.port : 0);
        resolve(bare);
      });
    });
  }

  /** Waits until `n` sockets are connected. */
  async waitFor(n: number): Promise<void> {
    while (this.sockets.length < n) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** Writes `bytes` to every socket. */
  push(bytes: Uint8Array, mode: BaselineMode): Promise<void> {
    const write = (s: Socket) => new Promise<void>((r) => s.write(bytes, () => r()));
    if (mode.kind === 'all') return Promise.all(this.sockets.map(write)).then(() => undefined);
    let next = 0;
    const worker = async () => {
      while (next < this.sockets.length) await write(this.sockets[next++]!);
    };
    return Promise.all(Array.from({ length: mode.size }, worker)).then(() => undefined);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}
