/**
 * PeerJS signaling across relay nodes. Each node records in Redis which PeerJS ids it holds sockets
 * for (`<p>peers:<id>` → node, refreshed while the socket lives, expiring when the node dies). A
 * signaling message (OFFER, ANSWER, CANDIDATE, LEAVE) whose destination has no socket here is looked
 * up there and sent to the node that has it, which writes it to that socket — with the sender's id
 * set by the relay, never taken from the message. A destination no node holds goes to the local
 * PeerJS server as before (it queues it, then tells the sender the peer is unavailable) — after it was
 * looked for again a few times ({@link CLAIM_WAITS_MS}): a peer that just opened on another node is
 * told OPEN while that node's claim is still on its way to Redis, and the first OFFER to it may
 * overtake the claim. A sender's messages to one destination keep their order through those waits.
 */
import type { WebSocket } from 'ws';
import type { PeerJsEndpoint } from '../transports/peerjs.ts';
import type { ClusterStore } from './redis-store.ts';

/** How long a node's claim on a PeerJS id lasts without a refresh (ms). */
export const PEER_CLAIM_TTL_MS = 15_000;

/** How long a looked-up destination is remembered (ms). */
const LOOKUP_CACHE_MS = 2_000;

/**
 * The waits (ms) before a destination no node has claimed is looked up again, before its message
 * goes to the local PeerJS server: a claim is one Redis write, so the first retry finds it unless
 * Redis is slow; ~0.4 s in all before a peer is reported unavailable.
 */
export const CLAIM_WAITS_MS: readonly number[] = [10, 40, 100, 250];

/**
 * At most this many messages wait for a claim at once (a caller sending to made-up ids can't hold
 * more); beyond it a destination not found is not looked for again.
 */
const MAX_WAITING = 1_000;

/**
 * At most this many of one sender's messages to one destination are in line (a negotiation is an
 * OFFER and a few dozen CANDIDATEs); more go to the local PeerJS server at once, as if none waited.
 */
const MAX_IN_LINE = 64;

const ROUTED_TYPES = new Set(['OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE']);

/** Routes PeerJS messages between nodes. */
export class PeerRoute {
  private readonly local = new Map<string, WebSocket>();
  private readonly idOf = new WeakMap<WebSocket, string>();
  private readonly lookups = new Map<string, { node: string | null; at: number }>();
  /** Per sender and destination: the last of its messages being routed (they go in order), and how many. */
  private readonly inFlight = new Map<string, { tail: Promise<void>; count: number }>();
  private waiting = 0;
  /** Destinations looked for in vain through every wait, and when. */
  private readonly missed = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly stopListening: () => void;
  /** Messages routed to other nodes, and delivered here from other nodes. */
  readonly counts = { sent: 0, delivered: 0 };

  constructor(
    private readonly store: ClusterStore,
    peerjs: PeerJsEndpoint,
    private readonly log: (message: string) => void = () => {},
  ) {
    peerjs.app.on('connection', (client) => {
      const socket = client.getSocket();
      if (!socket) return;
      this.local.set(client.getId(), socket);
      this.idOf.set(socket, client.getId());
      this.claim([client.getId()]);
    });
    peerjs.app.on('disconnect', (client) => {
      if (this.local.get(client.getId()) !== client.getSocket()) return;
      this.local.delete(client.getId());
      store.redis.del(this.key(client.getId())).catch(() => {});
    });
    peerjs.intercept = (socket, data, pass) => this.outgoing(socket, data, pass);
    this.stopListening = store.onEvent((event) => {
      if (event.type !== 'peer') return;
      const socket = this.local.get(event.dst);
      if (socket && socket.readyState === socket.OPEN) {
        socket.send(event.message);
        this.counts.delivered++;
        store.stats.peerRouted('in');
      }
    });
    this.timer = setInterval(() => this.claim([...this.local.keys()]), PEER_CLAIM_TTL_MS / 3);
    this.timer.unref();
  }

  private key(id: string): string {
    return `${this.store.keys.prefix}peer:${id}`;
  }

  private claim(ids: readonly string[]): void {
    if (ids.length === 0) return;
    const pipeline = this.store.redis.pipeline();
    for (const id of ids) pipeline.set(this.key(id), this.store.node, 'PX', PEER_CLAIM_TTL_MS);
    pipeline.exec().catch((error: unknown) => this.log(`redis: PeerJS ids not claimed: ${String(error)}`));
  }

  /** A message from a local socket: taken over (true) when its destination is not here. */
  private outgoing(socket: WebSocket, data: unknown, pass: () => void): boolean {
    const src = this.idOf.get(socket);
    if (src === undefined) return false;
    let message: unknown;
    try {
      message = JSON.parse(String(data));
    } catch {
      return false;
    }
    if (typeof message !== 'object' || message === null) return false;
    const { type, dst, payload } = message as Record<string, unknown>;
    if (typeof type !== 'string' || !ROUTED_TYPES.has(type)) return false;
    if (typeof dst !== 'string' || dst.length > 64 || this.local.has(dst)) return false;
    const pair = `${src}\n${dst}`;
    const line = this.inFlight.get(pair) ?? { tail: Promise.resolve(), count: 0 };
    if (line.count >= MAX_IN_LINE) return false;
    const route = line.tail.then(async () => {
      try {
        const node = await this.holderOf(dst);
        if (node === null || node === this.store.node) return pass();
        const forwarded = JSON.stringify({ type, src, dst, payload });
        this.store.tell({ type: 'peer', node: this.store.node, dst, message: forwarded }, node);
        this.counts.sent++;
        this.store.stats.peerRouted('out');
      } catch (error) {
        this.log(`a PeerJS ${type} for ${dst} was not routed: ${String(error)}`);
      }
    });
    line.tail = route;
    line.count++;
    this.inFlight.set(pair, line);
    void route.finally(() => {
      if (--line.count === 0 && this.inFlight.get(pair) === line) this.inFlight.delete(pair);
    });
    return true;
  }

  /**
   * The node holding `id`'s socket — this one, if it connected here meanwhile — looked for again
   * after each of {@link CLAIM_WAITS_MS} while no node has claimed it; null when none has by then
   * (and at once for a while after: the messages behind one that waited in vain don't wait again).
   */
  private async holderOf(id: string): Promise<string | null> {
    let node = await this.nodeOf(id);
    const missed = this.missed.get(id);
    if (missed !== undefined && Date.now() - missed < LOOKUP_CACHE_MS) return node;
    if (node !== null || this.waiting >= MAX_WAITING) return node;
    this.waiting++;
    try {
      for (const ms of CLAIM_WAITS_MS) {
        await new Promise((wake) => setTimeout(wake, ms));
        if (this.local.has(id)) return this.store.node;
        node = await this.nodeOf(id);
        if (node !== null) return node;
      }
      if (this.missed.size >= 10_000) this.missed.clear();
      this.missed.set(id, Date.now());
      return null;
    } finally {
      this.waiting--;
    }
  }

  /** The node holding `id`'s socket, or null when none does. */
  private async nodeOf(id: string): Promise<string | null> {
    const cached = this.lookups.get(id);
    if (cached && Date.now() - cached.at < LOOKUP_CACHE_MS && cached.node !== null) return cached.node;
    let node: string | null;
    try {
      node = await this.store.redis.get(this.key(id));
    } catch {
      node = null;
    }
    this.lookups.set(id, { node, at: Date.now() });
    if (this.lookups.size > 10_000) this.lookups.clear();
    return node;
  }

  close(): void {
    clearInterval(this.timer);
    this.stopListening();
  }
}
