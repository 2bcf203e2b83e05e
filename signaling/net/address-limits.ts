/**
 * Per-address limits of every door of the relay: how many HTTP-port sockets one address holds (and
 * all addresses together), how fast it may send HTTP requests, and how fast it may open `/ws`,
 * `/peerjs` and TCP connections (token buckets). The hub still caps live `/ws` + TCP sessions (its
 * `maxConnections` / `maxConnectionsPerIp`) and PeerJS its sockets per address; these limits come
 * first, before a byte of a request is parsed or a session is made.
 *
 * The defaults let one address (a campus or carrier NAT; a benchmark on loopback) connect thousands
 * of players at once, while the per-address socket cap stays at most {@link MAX_ADDRESS_SHARE} of the
 * global one. Every refusal is told to `onRefusal` (which counts it in `/metrics` and logs it).
 */
import { ErrorCode } from '../../protocol/index.ts';

/** The most of a global cap that one address may hold. */
export const MAX_ADDRESS_SHARE = 0.25;

/** A token bucket's shape: `burst` tokens at most, refilled at `perSecond`. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** The limits (each one a `patchcast serve` flag). */
export interface AddressLimitOptions {
  /** Sockets open on the HTTP port (API, site, `/ws`, `/peerjs`) from everyone. */
  readonly httpSockets: number;
  /** …from one address (never above {@link MAX_ADDRESS_SHARE} of `httpSockets`). */
  readonly httpSocketsPerAddress: number;
  /** HTTP requests of one address (upgrades not included). */
  readonly requests: RateLimit;
  /** Connections one address opens on `/ws`, `/peerjs` and the TCP port, together. */
  readonly connects: RateLimit;
}

/** Defaults: 2,000 players connecting at once from one address pass; a flood doesn't. */
export const DEFAULT_ADDRESS_LIMITS: AddressLimitOptions = {
  httpSockets: 40_000,
  httpSocketsPerAddress: 10_000,
  requests: { perSecond: 1_000, burst: 10_000 },
  connects: { perSecond: 500, burst: 5_000 },
};

/** Addresses whose buckets are kept at most (the fullest are dropped first: they'd be full anyway). */
export const MAX_TRACKED_ADDRESSES = 100_000;

/** Token buckets by address. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token of `address`'s bucket; false when it is empty. */
  take(address: string): boolean {
    const t = this.now();
    const bucket = this.buckets.get(address);
    const tokens = bucket
      ? Math.min(this.limit.burst, bucket.tokens + ((t - bucket.at) / 1000) * this.limit.perSecond)
      : this.limit.burst;
    if (tokens < 1) {
      if (bucket) Object.assign(bucket, { tokens, at: t });
      return false;
    }
    if (!bucket && this.buckets.size >= MAX_TRACKED_ADDRESSES) this.forgetFull();
    this.buckets.set(address, { tokens: tokens - 1, at: t });
    return true;
  }

  /** Drops buckets that have refilled (they'd start full again anyway); the oldest if none. */
  private forgetFull(): void {
    const t = this.now();
    for (const [address, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.limit.perSecond >= this.limit.burst)
        this.buckets.delete(address);
    }
    if (this.buckets.size >= MAX_TRACKED_ADDRESSES) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
  }
}

/** Connections counted for a whole cluster: live `/ws` + TCP sessions, `/peerjs` sockets. */
export type SharedConnectionKind = 'session' | 'peerjs';
/** Rates held for a whole cluster: HTTP requests, new connections. */
export type SharedRateKind = 'request' | 'connect';

/**
 * Limits held together with other relay nodes (a cluster's Redis: `signaling/cluster/cluster-limits.ts`),
 * on top of this node's own. Each answer may take a round trip; none waits long.
 */
export interface SharedLimits {
  /** Takes one token of `address`'s shared bucket; false when the cluster's bucket is empty. */
  take(kind: SharedRateKind, address: string, limit: RateLimit): Promise<boolean>;
  /** Holds one more connection of `address` while the cluster holds fewer than `limit`. */
  acquire(kind: SharedConnectionKind, address: string, limit: number): Promise<boolean>;
  /** A connection {@link acquire} admitted closed. */
  release(kind: SharedConnectionKind, address: string): void;
}

/** Which door refused. */
export type LimitSource = 'http' | 'ws' | 'peerjs' | 'tcp';

/** Told about every refusal (code, door, address, why). */
export type RefusalSink = (
  code: typeof ErrorCode.RATE_LIMITED | typeof ErrorCode.TOO_MANY_CONNECTIONS,
  source: LimitSource,
  address: string,
  why: string,
) => void;

/** The relay's per-address limits; one per server. */
export class AddressLimits {
  readonly options: AddressLimitOptions;
  private readonly sockets = new Map<string, number>();
  private socketCount = 0;
  private readonly requestBuckets: TokenBuckets;
  private readonly connectBuckets: TokenBuckets;

  constructor(
    options: Partial<AddressLimitOptions>,
    private readonly onRefusal: RefusalSink,
    now?: () => number,
  ) {
    const merged = { ...DEFAULT_ADDRESS_LIMITS, ...options };
    const share = Math.max(1, Math.floor(merged.httpSockets * MAX_ADDRESS_SHARE));
    this.options = { ...merged, httpSocketsPerAddress: Math.min(merged.httpSocketsPerAddress, share) };
    this.requestBuckets = new TokenBuckets(this.options.requests, now);
    this.connectBuckets = new TokenBuckets(this.options.connects, now);
  }

  /** In a cluster: the rates held with the other nodes (null: this node's alone). */
  shared: SharedLimits | null = null;

  /**
   * A socket opened on the HTTP port; false (refused, told) when over a cap. Pair with {@link closeSocket}.
   * A trusted balancer (`perAddress` false) holds everyone's sockets: only the global cap applies to it.
   */
  openSocket(address: string, perAddress = true): boolean {
    const held = this.sockets.get(address) ?? 0;
    if (this.socketCount >= this.options.httpSockets) {
      this.onRefusal(
        ErrorCode.TOO_MANY_CONNECTIONS,
        'http',
        address,
        'the relay holds its most HTTP sockets',
      );
      return false;
    }
    if (perAddress && held >= this.options.httpSocketsPerAddress) {
      this.onRefusal(
        ErrorCode.TOO_MANY_CONNECTIONS,
        'http',
        address,
        `${held} HTTP sockets from this address`,
      );
      return false;
    }
    this.sockets.set(address, held + 1);
    this.socketCount += 1;
    return true;
  }

  /** A socket that {@link openSocket} admitted closed. */
  closeSocket(address: string): void {
    const held = this.sockets.get(address) ?? 0;
    if (held <= 0) return;
    this.socketCount -= 1;
    if (held === 1) this.sockets.delete(address);
    else this.sockets.set(address, held - 1);
  }

  /** An HTTP request; false (refused, told) when the address is over its rate. */
  request(address: string): boolean {
    if (this.requestBuckets.take(address)) return true;
    this.onRefusal(ErrorCode.RATE_LIMITED, 'http', address, 'too many requests from this address');
    return false;
  }

  /** A new `/ws`, `/peerjs` or TCP connection; false (refused, told) when the address is over its rate. */
  connect(address: string, source: Exclude<LimitSource, 'http'>): boolean {
    if (this.connectBuckets.take(address)) return true;
    this.onRefusal(ErrorCode.RATE_LIMITED, source, address, 'too many new connections from this address');
    return false;
  }

  /** {@link request}, then in a cluster the address' shared rate (one Redis round trip per batch). */
  async requestShared(address: string): Promise<boolean> {
    if (!this.request(address)) return false;
    if (!this.shared || (await this.shared.take('request', address, this.options.requests))) return true;
    this.onRefusal(ErrorCode.RATE_LIMITED, 'http', address, 'too many requests from this address (cluster)');
    return false;
  }

  /** {@link connect}, then in a cluster the address' shared rate. */
  async connectShared(address: string, source: Exclude<LimitSource, 'http'>): Promise<boolean> {
    if (!this.connect(address, source)) return false;
    if (!this.shared || (await this.shared.take('connect', address, this.options.connects))) return true;
    const why = 'too many new connections from this address (cluster)';
    this.onRefusal(ErrorCode.RATE_LIMITED, source, address, why);
    return false;
  }

  /**
   * In a cluster: holds one of `address`'s connections of `kind` for the cluster, within `limit`
   * (true on one node: the hub and the PeerJS endpoint count their own). Pair with {@link releaseShared}.
   */
  async acquireShared(
    kind: SharedConnectionKind,
    address: string,
    limit: number,
    source: Exclude<LimitSource, 'http'>,
  ): Promise<boolean> {
    if (!this.shared || (await this.shared.acquire(kind, address, limit))) return true;
    const why = `${limit} ${kind === 'peerjs' ? 'PeerJS sockets' : 'connections'} from this address across the cluster`;
    this.onRefusal(ErrorCode.TOO_MANY_CONNECTIONS, source, address, why);
    return false;
  }

  /** A connection {@link acquireShared} admitted closed. */
  releaseShared(kind: SharedConnectionKind, address: string): void {
    this.shared?.release(kind, address);
  }

  /** Sockets open on the HTTP port now (all addresses). */
  get openSockets(): number {
    return this.socketCount;
  }
}

/** The remote address of a socket, IPv4-mapped IPv6 written as IPv4. */
export function addressOf(socket: { readonly remoteAddress?: string | undefined }): string {
  return (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
}

/**
 * A raw HTTP refusal for a socket no request handler will see (over a socket cap, an upgrade over
 * its rate): the status line, the code as JSON, and the close.
 */
export function rawHttpRefusal(status: 429 | 503, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message } });
  const reason = status === 429 ? 'Too Many Requests' : 'Service Unavailable';
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nRetry-After: 1\r\n` +
    `Connection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
