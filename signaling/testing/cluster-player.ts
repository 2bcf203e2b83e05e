/**
 * A test player for cluster tests: it speaks the wire protocol to one address (a node, or the
 * balancer in front of them all) over WebSocket or TCP, fetches and checks every blob of each release
 * it is told of (over HTTP, through the same address), says heartbeats, and when its connection dies
 * it connects again (after `reconnectMs`) and says hello with the seq it holds, as a real player does.
 */
import { ApiPath, sha256Hex, type SignedRelease } from '../../protocol/index.ts';
import { RawConn, type RelayAddress, type TransportName } from './helpers.ts';

/** A release the player holds, with when it had all of its blobs. */
export interface Applied {
  readonly seq: number;
  readonly at: number;
}

/** See the file comment. */
export class ClusterPlayer {
  /** Every release applied, in order. */
  readonly applied: Applied[] = [];
  /** Connections made (1 + reconnections). */
  connections = 0;
  private conn: RawConn | null = null;
  private stopped = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private applying: Promise<void> = Promise.resolve();

  constructor(
    readonly address: RelayAddress,
    readonly transport: TransportName,
    readonly room: string,
    readonly clientId: string,
    private readonly reconnectMs = 100,
  ) {}

  /** True while connected and welcomed. */
  connected = false;

  /** The seq of the release the player holds (0 for none). */
  get seq(): number {
    return this.applied.at(-1)?.seq ?? 0;
  }

  /** Connects (and keeps connecting until {@link stop}); resolves after the first welcome. */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let conn: RawConn;
    try {
      conn = await RawConn.open(this.address, this.transport);
    } catch {
      this.retry();
      return;
    }
    this.conn = conn;
    this.connections++;
    conn.hello({ room: this.room, clientId: this.clientId, seq: this.seq });
    const welcome = await conn.next('welcome').catch(() => null);
    if (!welcome) {
      conn.close();
    } else {
      this.connected = true;
      const every = Math.max(100, Math.floor(welcome.heartbeatMs / 2));
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.heartbeat = setInterval(() => conn.send({ type: 'heartbeat' }), every);
      this.follow(conn);
    }
    void conn.ended.then(() => {
      if (this.conn === conn) {
        this.conn = null;
        this.connected = false;
      }
      this.retry();
    });
  }

  private retry(): void {
    if (this.stopped) return;
    setTimeout(() => void this.connect(), this.reconnectMs);
  }

  /** Applies each release the connection is told of, in order. */
  private follow(conn: RawConn): void {
    let seen = 0;
    const next = (): void => {
      void conn
        .next('release', () => conn.messages.filter((m) => m.type === 'release').length > seen, 3_600_000)
        .then(() => {
          const releases = conn.messages.filter((m) => m.type === 'release');
          for (const m of releases.slice(seen)) {
            this.applying = this.applying.then(() => this.apply(m.signed));
          }
          seen = releases.length;
          if (!conn.isEnded) next();
        })
        .catch(() => {});
    };
    next();
  }

  private async apply(signed: SignedRelease): Promise<void> {
    if (signed.release.seq <= this.seq) return;
    const base = `http://${this.address.host}:${this.address.httpPort}`;
    for (const slot of Object.values(signed.release.slots)) {
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await fetch(base + ApiPath.blob(slot.sha256));
          const bytes = new Uint8Array(await res.arrayBuffer());
          if (res.ok && (await sha256Hex(bytes)) === slot.sha256) break;
        } catch {
          // The node died under the request: the balancer sends the next one elsewhere.
        }
        if (attempt > 50 || this.stopped) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (signed.release.seq > this.seq) this.applied.push({ seq: signed.release.seq, at: Date.now() });
  }

  /** Stops for good. */
  stop(): void {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.conn?.close();
  }
}
