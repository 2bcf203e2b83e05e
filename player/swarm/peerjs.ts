/**
 * The swarm over PeerJS: wraps data connections as {@link PeerLink}s and keeps a bounded mesh of them.
 * The `Peer` is made by the platform (the browser's WebRTC, or node-datachannel in Node) and handed in, so
 * this file needs no platform API of its own; it only uses PeerJS's types.
 */
import type { DataConnection, Peer } from 'peerjs';
import type { Clock } from './clock.ts';
import { realClock } from './clock.ts';
import type { PeerLink, PeerLinkHandlers } from './peer.ts';
import type { Swarm } from './swarm.ts';

/** Data channel buffer level under which a link reports `drain`. */
const LOW_WATER = 256 * 1024;

/** Options of a data connection made for the swarm: raw bytes, our own framing, reliable. */
export const SWARM_CONNECT_OPTIONS = { serialization: 'raw', reliable: true } as const;

/**
 * PeerJS 1.5 handles an ICE candidate that arrives after its connection was closed by failing to add
 * it and then dereferencing the connection's `provider`, which `close()` has nulled: an unhandled
 * rejection (fatal in Node). Late candidates are normal (a peer leaves, a duplicate link is dropped),
 * so the connection's signalling handler is made to swallow what it throws after a close.
 */
function guardLateSignals(conn: DataConnection): DataConnection {
  const handle = conn.handleMessage.bind(conn);
  conn.handleMessage = async (message) => {
    try {
      await handle(message);
    } catch (error) {
      if (conn.open) throw error;
    }
  };
  return conn;
}

/** Wraps an open PeerJS data connection (serialization `raw`) as a swarm link. */
export function linkFromConnection(conn: DataConnection): PeerLink {
  let handlers: PeerLinkHandlers | null = null;
  let closed = false;
  const channel = (): RTCDataChannel | undefined => conn.dataChannel;
  const onClose = (): void => {
    if (closed) return;
    closed = true;
    handlers?.close();
  };
  return {
    id: conn.peer,
    send: (data) => {
      if (closed) throw new Error('link closed');
      void conn.send(data);
    },
    bufferedAmount: () => channel()?.bufferedAmount ?? 0,
    close: () => {
      conn.close();
      onClose();
    },
    attach: (h) => {
      handlers = h;
      const dc = channel();
      if (dc) {
        dc.bufferedAmountLowThreshold = LOW_WATER;
        dc.addEventListener('bufferedamountlow', () => h.drain());
      }
      conn.on('data', (data: unknown) => {
        if (typeof data === 'string') h.message(data);
        else if (data instanceof ArrayBuffer) h.message(new Uint8Array(data));
        else if (ArrayBuffer.isView(data))
          h.message(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      });
      conn.on('close', onClose);
      conn.on('error', onClose);
    },
  };
}

/** Options of {@link PeerMesh}. */
export interface PeerMeshOptions {
  /** Links to open ourselves (others may open more to us, up to the swarm's limit). Default 4. */
  readonly target?: number;
  /** Give up on a connection that isn't open after this long. Default 8000 ms. */
  readonly connectTimeoutMs?: number;
  /** Asks the relay for more peer ids (answered through {@link PeerMesh.offer}). */
  readonly requestPeers?: () => void;
  /** How often to look for more peers while below target. Default 5000 ms. */
  readonly refillMs?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
  /**
   * False: links on demand — dial nobody (nor ask the relay for more ids) until {@link PeerMesh.want}
   * is called; incoming links are taken all the same. Default true: dial at once.
   */
  readonly eager?: boolean;
}

/**
 * Keeps a player's swarm links: accepts incoming connections while the swarm has room, dials peer ids
 * offered by the relay until `target` links are up, and asks for more when links drop. With `eager:
 * false` it only remembers the ids offered until links are wanted ({@link want}).
 */
export class PeerMesh {
  private readonly dialing = new Map<string, DataConnection>();
  /** Ids offered while links were not wanted yet (the latest offer). */
  private known: readonly string[] = [];
  private wanted: boolean;
  /**
   * Links we dial up to now: `target`, but half of it in the first moments after {@link want} — when
   * the relay starts deferring, every player of the room wants links at once, and two players that
   * dial each other waste one connection's setup. The others' dials bring the rest; the next refill
   * tops up to `target`.
   */
  private dialUpTo: number;
  private readonly target: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private refillTimer: unknown = null;
  private stopped = false;

  constructor(
    private readonly peer: Peer,
    private readonly swarm: Swarm,
    private readonly options: PeerMeshOptions = {},
  ) {
    this.target = options.target ?? 4;
    this.timeoutMs = options.connectTimeoutMs ?? 8000;
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.wanted = options.eager ?? true;
    this.dialUpTo = this.target;
    peer.on('connection', (conn) => this.incoming(conn));
    this.scheduleRefill();
  }

  /** True once the mesh dials (eager, or {@link want} was called). */
  get dials(): boolean {
    return this.wanted;
  }

  /** Links are wanted from now on: dial the ids offered so far, ask the relay for fresh ones, keep up. */
  want(): void {
    if (this.wanted || this.stopped) return;
    this.wanted = true;
    this.dialUpTo = Math.ceil(this.target / 2);
    const known = this.known;
    this.known = [];
    this.offer(known);
    this.options.requestPeers?.();
    this.scheduleRefill();
  }

  /** Our PeerJS id. */
  get id(): string {
    return this.peer.id;
  }

  /** Peer ids from the relay: dial some of them until we have `target` links. */
  offer(ids: readonly string[]): void {
    if (!this.wanted) {
      this.known = ids;
      return;
    }
    const candidates = ids.filter(
      (id) => id !== this.peer.id && this.swarm.canAdd(id) && !this.dialing.has(id),
    );
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    for (const id of candidates) {
      if (this.swarm.peerCount + this.dialing.size >= this.dialUpTo) break;
      this.dial(id);
    }
  }

  /** Stops dialing and drops every link. */
  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.refillTimer);
    for (const conn of this.dialing.values()) conn.close();
    this.dialing.clear();
  }

  private dial(id: string): void {
    const conn = guardLateSignals(this.peer.connect(id, SWARM_CONNECT_OPTIONS));
    this.dialing.set(id, conn);
    const timer = this.clock.setTimeout(() => {
      if (this.dialing.get(id) === conn) {
        this.dialing.delete(id);
        conn.close();
      }
    }, this.timeoutMs);
    conn.on('open', () => {
      this.clock.clearTimeout(timer);
      if (this.dialing.get(id) === conn) this.dialing.delete(id);
      this.adopt(conn);
    });
    const fail = (): void => {
      this.clock.clearTimeout(timer);
      if (this.dialing.get(id) === conn) this.dialing.delete(id);
    };
    conn.on('error', fail);
    conn.on('close', fail);
  }

  private incoming(conn: DataConnection): void {
    guardLateSignals(conn);
    if (this.stopped || conn.serialization !== 'raw') {
      conn.close();
      return;
    }
    // Both sides may dial each other at once: keep the connection dialed by the smaller id.
    if (this.dialing.has(conn.peer) && this.peer.id < conn.peer) {
      conn.close();
      return;
    }
    conn.on('open', () => this.adopt(conn));
  }

  private adopt(conn: DataConnection): void {
    if (this.stopped) {
      conn.close();
      return;
    }
    this.swarm.addPeer(linkFromConnection(conn));
  }

  private scheduleRefill(): void {
    if (this.stopped || !this.wanted) return;
    this.refillTimer = this.clock.setTimeout(() => {
      this.dialUpTo = this.target;
      if (this.swarm.peerCount + this.dialing.size < this.target) this.options.requestPeers?.();
      this.scheduleRefill();
    }, this.options.refillMs ?? 5000);
  }
}
