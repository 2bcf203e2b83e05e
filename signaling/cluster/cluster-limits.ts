/**
 * Per-address limits held for the whole cluster, not per node (`patchcast serve --redis`): an
 * address that spreads its connections, requests or room creations over several nodes meets the
 * same limit as on one.
 *
 * - **Connections** (live `/ws` + TCP sessions, `/peerjs` sockets) are counted in Redis per address,
 *   a field per node ({@link ACQUIRE}); each node holds a lease in `<p>nodes` that it renews every
 *   {@link NODE_LEASE_MS}/3 and that ends when it dies, and a dead node's counts stop counting then.
 *   The node also rewrites its own counts with each renewal, so a release lost during an outage
 *   heals itself.
 * - **Rates** (HTTP requests, new connections) are one token bucket per address in Redis
 *   ({@link TAKE_TOKENS}). A node takes tokens in batches of 1/{@link RATE_BATCH_DIVISOR} of the
 *   burst and spends them locally for at most {@link ALLOWANCE_MS}: an honest caller waits on Redis
 *   once per batch (at most once a second), a flood meets the cluster's bucket. Tokens a node took
 *   but did not spend are lost, so the cluster admits a little less than the limit, never more.
 * - **Open-room creations** are counted per address in one hash ({@link RESERVE_ROOM}).
 *
 * Redis slow or away: the node decides alone (its own per-node limits still hold) rather than make
 * callers wait; each decision waits at most {@link SHARED_LIMIT_DEADLINE_MS}.
 */
import type { SharedLimits, RateLimit, SharedConnectionKind, SharedRateKind } from '../net/address-limits.ts';
import { MAX_TRACKED_ADDRESSES } from '../net/address-limits.ts';
import { timed } from './cluster-stats.ts';
import { ACQUIRE, NODE_ALIVE, RELEASE, RESERVE_ROOM, TAKE_TOKENS, UNRESERVE_ROOM } from './limit-scripts.ts';
import type { ClusterStore } from './redis-store.ts';

/** How long a node's lease lasts without a renewal (ms): a dead node's connections count this long. */
export const NODE_LEASE_MS = 6_000;
/** A node takes this fraction of a bucket's burst at a time (at least one token). */
export const RATE_BATCH_DIVISOR = 16;
/** How long a node may spend the tokens it took (ms). */
export const ALLOWANCE_MS = 1_000;
/** Longest a caller waits on Redis for a limit; past it the node decides alone (ms). */
export const SHARED_LIMIT_DEADLINE_MS = 250;

/** Tokens a node holds of one address' bucket. */
interface Allowance {
  tokens: number;
  until: number;
}

/** The cluster's per-address limits, as one node takes part in them. */
export class ClusterLimits implements SharedLimits {
  /** `kind address` → connections this node holds (what it last wrote, or will write, to Redis). */
  private readonly held = new Map<string, number>();
  /** Keys whose count fell to zero since the last renewal (their fields are deleted then). */
  private readonly zeroed = new Set<string>();
  private readonly allowances = new Map<string, Allowance>();
  private readonly fetching = new Map<string, Promise<number>>();
  private readonly timer: NodeJS.Timeout;
  /** Nodes whose lease ran at the last renewal (this one included). */
  nodesAlive = 1;
  /** Rate decisions made from a local allowance, and those that asked Redis. */
  readonly rateChecks = { local: 0, redis: 0 };

  constructor(
    private readonly store: ClusterStore,
    private readonly log: (message: string) => void = () => {},
  ) {
    this.timer = setInterval(() => void this.renew(), NODE_LEASE_MS / 3);
    this.timer.unref();
  }

  /** Takes the node's first lease (before the ports open). */
  async start(): Promise<void> {
    await this.renew();
  }

  private key(kind: string, address: string): string {
    return `${kind} ${address}`;
  }

  private heldKey(kind: string, address: string): string {
    return `${this.store.keys.prefix}held:${kind}:${address}`;
  }

  /** Renews the lease, rewrites this node's counts, and learns how many nodes are alive. */
  private async renew(): Promise<void> {
    const { redis, keys, node } = this.store;
    const pipeline = redis.pipeline();
    pipeline.eval(NODE_ALIVE, 1, keys.nodes, node, NODE_LEASE_MS);
    for (const [key, count] of this.held) {
      const [kind = '', address = ''] = splitKey(key);
      pipeline.hset(this.heldKey(kind, address), node, count);
      pipeline.pexpire(this.heldKey(kind, address), NODE_LEASE_MS * 2);
    }
    for (const key of this.zeroed) {
      const [kind = '', address = ''] = splitKey(key);
      if (!this.held.has(key)) pipeline.hdel(this.heldKey(kind, address), node);
    }
    this.zeroed.clear();
    try {
      const results = await timed(this.store.stats, 'lease', () => pipeline.exec());
      const alive = results?.[0]?.[1];
      if (typeof alive === 'number') this.nodesAlive = alive;
    } catch (error) {
      this.log(`redis: node lease not renewed: ${String(error)}`);
    }
    if (this.allowances.size > MAX_TRACKED_ADDRESSES) {
      const now = performance.now();
      for (const [key, a] of this.allowances) if (a.until < now) this.allowances.delete(key);
    }
  }

  async acquire(kind: SharedConnectionKind, address: string, limit: number): Promise<boolean> {
    const key = this.key(kind, address);
    // Counted here first: a renewal meanwhile writes it (an over-count for a moment, never under).
    this.held.set(key, (this.held.get(key) ?? 0) + 1);
    const k = this.store.keys;
    const answer = await this.ask('acquire', () =>
      this.store.redis.eval(
        ACQUIRE,
        2,
        this.heldKey(kind, address),
        k.nodes,
        this.store.node,
        limit,
        NODE_LEASE_MS * 2,
      ),
    );
    if (Array.isArray(answer) && Number(answer[0]) === 0) {
      this.forget(key);
      return false;
    }
    return true;
  }

  release(kind: SharedConnectionKind, address: string): void {
    const key = this.key(kind, address);
    if (!this.held.has(key)) return;
    this.forget(key);
    const node = this.store.node;
    this.store.redis.eval(RELEASE, 1, this.heldKey(kind, address), node).catch(() => {
      // The next renewal writes this node's counts again.
    });
  }

  private forget(key: string): void {
    const left = (this.held.get(key) ?? 1) - 1;
    if (left > 0) return void this.held.set(key, left);
    this.held.delete(key);
    this.zeroed.add(key);
  }

  async take(kind: SharedRateKind, address: string, limit: RateLimit): Promise<boolean> {
    const key = this.key(kind, address);
    for (let attempt = 0; ; attempt++) {
      const allowance = this.allowances.get(key);
      if (allowance && allowance.tokens >= 1 && allowance.until > performance.now()) {
        allowance.tokens -= 1;
        this.rateChecks.local++;
        return true;
      }
      // Others spent two batches before this caller got a token: that is a flood.
      if (attempt === 2) return false;
      // One fetch per address at a time: callers arriving meanwhile share its tokens.
      let fetching = this.fetching.get(key);
      if (!fetching) {
        fetching = this.fetch(kind, address, limit, key);
        this.fetching.set(key, fetching);
        void fetching.finally(() => this.fetching.delete(key));
      }
      if ((await fetching) === 0) return false;
    }
  }

  private async fetch(kind: SharedRateKind, address: string, limit: RateLimit, key: string): Promise<number> {
    const want = Math.max(1, Math.floor(limit.burst / RATE_BATCH_DIVISOR));
    this.rateChecks.redis++;
    const answer = await this.ask('rate', () =>
      this.store.redis.eval(
        TAKE_TOKENS,
        1,
        `${this.store.keys.prefix}rate:${kind}:${address}`,
        limit.perSecond,
        limit.burst,
        want,
      ),
    );
    // Redis away: decide alone (the node's own bucket already admitted this caller).
    const got = answer === undefined ? 1 : Number(answer);
    if (got > 0) this.allowances.set(key, { tokens: got, until: performance.now() + ALLOWANCE_MS });
    return got;
  }

  /** Reserves one of `address`'s open-room creations (false when it made `max` already). */
  async reserveRoom(address: string, max: number): Promise<boolean> {
    const answer = await this.ask('rooms', () =>
      this.store.redis.eval(RESERVE_ROOM, 1, this.store.keys.openRooms, address, max),
    );
    if (answer === undefined) throw new Error('Redis did not answer: room creation quota unknown');
    return Number(answer) === 1;
  }

  /** Gives back a reservation whose room was not created. */
  unreserveRoom(address: string): void {
    this.store.redis.eval(UNRESERVE_ROOM, 1, this.store.keys.openRooms, address).catch((error: unknown) => {
      this.log(`redis: open-room reservation of ${address} not given back: ${String(error)}`);
    });
  }

  /** A Redis call within the deadline; undefined when Redis is away, failed or late. */
  private async ask(op: string, call: () => Promise<unknown>): Promise<unknown> {
    if (!this.store.isConnected) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((done) => {
      timer = setTimeout(() => done(undefined), SHARED_LIMIT_DEADLINE_MS);
    });
    try {
      return await Promise.race([timed(this.store.stats, op, call).catch(() => undefined), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops renewing and gives up the lease (the node's counts stop counting at once). */
  close(): void {
    clearInterval(this.timer);
    this.store.redis.zrem(this.store.keys.nodes, this.store.node).catch(() => {});
  }
}

function splitKey(key: string): [string, string] {
  const space = key.indexOf(' ');
  return [key.slice(0, space), key.slice(space + 1)];
}
