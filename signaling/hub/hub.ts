/**
 * The hub: every live relay connection, grouped by room. It admits connections (limits), checks every
 * message through the protocol's validators, answers `hello`/`blob.get`, records heartbeats and acks
 * in the roster, pushes new releases to every connection of their room, keeps admins' rosters live,
 * and drops what is silent, too slow or misbehaving — always with an `error` first, and without
 * disturbing anybody else.
 */
import {
  ErrorCode,
  MessageType,
  type DecodedFrame,
  type ErrorCode as Code,
  type Hello,
  type Message,
  type Roster,
  type SignedRelease,
  chunkLength,
  parseMessage,
} from '../../protocol/index.ts';
import type { Metrics } from '../metrics.ts';
import type { Relay } from '../relay/relay.ts';
import { latestOf, releaseAt } from '../store/store.ts';
import { RelayChunkPolicy } from '../../protocol/swarm/relay-policy.ts';
import { realClock } from '../../protocol/swarm/clock.ts';
import { Conn, closeCodeOf, type Wire } from './conn.ts';
import { WriteScheduler, type SchedulerOptions } from './fanout.ts';
import { Outbox, type OutboxLimits, type Payload } from './outbox.ts';
import { ChunkCache, chunkPayloadEstimate, errorPayload, payloadOf } from './payloads.ts';
import { RosterEntry } from './roster.ts';
import { Rooms } from './rooms.ts';
import { SeedSessions } from './seed-sessions.ts';

/** Tunables of the hub. */
export interface HubOptions {
  readonly heartbeatMs: number;
  /** Heartbeat intervals a client may miss. */
  readonly heartbeatMisses: number;
  /** Heartbeat interval of seed clients (they beat every 10 s whatever we say). */
  readonly legacyHeartbeatMs: number;
  readonly helloTimeoutMs: number;
  /**
   * The largest frame the relay accepts from a client, told to it in `welcome` (the transports
   * enforce it: `maxInboundFrameBytes` of the server).
   */
  readonly maxFrameBytes: number;
  /** The room seed-protocol clients join (they name none). */
  readonly legacyRoom: string;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  /** Bad messages tolerated after hello before the connection is closed. */
  readonly badMessageBudget: number;
  /** Least time between two rosters to a room's admins. */
  readonly rosterIntervalMs: number;
  /** How long a closing connection gets to flush its error frame. */
  readonly closeGraceMs: number;
  /** Least time between two fresh `peers` samples for one connection (others get the last one). */
  readonly peersIntervalMs: number;
  readonly outbox: OutboxLimits;
  readonly scheduler: SchedulerOptions;
}

/** Defaults of {@link HubOptions}. */
export const DEFAULT_HUB_OPTIONS: HubOptions = {
  heartbeatMs: 10_000,
  heartbeatMisses: 3,
  legacyHeartbeatMs: 10_000,
  helloTimeoutMs: 5_000,
  maxFrameBytes: 1024 * 1024,
  legacyRoom: 'demo',
  maxConnections: 20_000,
  maxConnectionsPerIp: 5_000,
  badMessageBudget: 10,
  rosterIntervalMs: 200,
  closeGraceMs: 2_000,
  peersIntervalMs: 1_000,
  outbox: { windowBytes: 1024 * 1024, maxQueuedBytes: 64 * 1024 * 1024, dropAfterMs: 30_000 },
  scheduler: { maxActive: 4, stallMs: 250 },
};

const now = () => performance.now();

/** The part of a connection's send queue blob chunks may fill; the rest is for control messages. */
const BLOB_QUEUE_SHARE = 15 / 16;

/** The hub. One per server. */
export class Hub {
  readonly options: HubOptions;
  readonly scheduler: WriteScheduler;
  private readonly conns = new Set<Conn>();
  private readonly perIp = new Map<string, number>();
  readonly rooms: Rooms;
  private readonly releasePayloads = new Map<string, { seq: number; payload: Payload }>();
  private readonly chunks = new ChunkCache();
  private readonly swarmPolicy = new RelayChunkPolicy({ clock: realClock });
  private readonly seeds: SeedSessions;
  private readonly sweepTimer: ReturnType<typeof setInterval>;
  private nextId = 1;

  constructor(
    private readonly relay: Relay,
    private readonly metrics: Metrics,
    options: Partial<HubOptions> = {},
  ) {
    this.options = { ...DEFAULT_HUB_OPTIONS, ...options };
    this.scheduler = new WriteScheduler({
      ...this.options.scheduler,
      onRevoke: () => metrics.slotRevocations.inc(),
    });
    this.rooms = new Rooms((room) => relay.latest(room)?.release.seq ?? 0, this.options.rosterIntervalMs);
    this.seeds = new SeedSessions({
      rooms: this.rooms,
      relay,
      metrics,
      legacyRoom: this.options.legacyRoom,
      fail: (conn, code, message) => this.fail(conn, code, message),
      refuse: (conn, code, message, fatal) => this.refuse(conn, code, message, fatal),
      retag: (conn) => {
        metrics.connections.dec({ transport: conn.wire.transport });
        conn.wire.transport = 'legacy-tcp';
        metrics.connections.inc({ transport: conn.wire.transport });
      },
    });
    relay.onRelease((signed) => this.released(signed));
    const every = Math.max(20, Math.min(1000, this.options.heartbeatMs / 4, this.options.helloTimeoutMs / 4));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  /** Live connections. */
  get size(): number {
    return this.conns.size;
  }

  // ---- connections -------------------------------------------------------------------------

  /** Admits a new connection; over a limit, it is told so and closed. */
  open(wire: Wire): Conn {
    const outbox = new Outbox(wire, this.scheduler, this.options.outbox);
    const conn = new Conn(this.nextId++, wire, outbox, now());
    outbox.onTooSlow = (why) => this.fail(conn, ErrorCode.TOO_SLOW, why);
    outbox.onSent = (bytes) => this.metrics.bytesSent.inc({ transport: wire.transport }, bytes);
    this.conns.add(conn);
    const fromIp = (this.perIp.get(wire.address) ?? 0) + 1;
    this.perIp.set(wire.address, fromIp);
    this.metrics.connections.inc({ transport: wire.transport });
    this.metrics.connectionsTotal.inc({ transport: wire.transport });
    if (this.conns.size > this.options.maxConnections) {
      this.fail(conn, ErrorCode.TOO_MANY_CONNECTIONS, 'the relay is at its connection limit');
    } else if (fromIp > this.options.maxConnectionsPerIp) {
      this.fail(conn, ErrorCode.TOO_MANY_CONNECTIONS, `too many connections from ${wire.address}`);
    }
    return conn;
  }

  /** The transport's socket is gone. */
  closed(conn: Conn): void {
    if (conn.state === 'closed') return;
    const wasLive = this.conns.delete(conn);
    conn.state = 'closed';
    conn.outbox.close();
    if (!wasLive) return;
    const ip = conn.wire.address;
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, left);
    this.metrics.connections.dec({ transport: conn.wire.transport });
    this.rooms.leave(conn);
  }

  /** Sends a fatal error, then closes (forcibly after the grace time). */
  fail(conn: Conn, code: Code, message: string): void {
    if (!conn.live) return;
    conn.state = 'closing';
    this.metrics.dropped.inc({ code });
    const closeCode = closeCodeOf(code);
    const grace = setTimeout(() => conn.wire.destroy(), this.options.closeGraceMs);
    grace.unref();
    void conn.outbox.finish(errorPayload(code, message, true)).then(() => {
      if (conn.state !== 'closed') conn.wire.end(closeCode, message);
    });
  }

  /** Refuses a message: a non-fatal `error`, or a fatal one before hello or past the budget. */
  refuse(conn: Conn, code: Code, message: string, fatal: boolean): void {
    this.metrics.refusals.inc({ code, source: 'socket' });
    if (fatal || conn.state === 'pending') return this.fail(conn, code, message);
    if (++conn.badMessages > this.options.badMessageBudget) {
      return this.fail(conn, code, `${message} (too many bad messages, closing)`);
    }
    conn.outbox.send(errorPayload(code, message, false));
  }

  /** Closes every connection with `SERVER_SHUTDOWN`. */
  close(): void {
    clearInterval(this.sweepTimer);
    for (const conn of [...this.conns])
      this.fail(conn, ErrorCode.SERVER_SHUTDOWN, 'the relay is shutting down');
    this.rooms.close();
    this.scheduler.close();
  }

  private sweep(): void {
    const t = now();
    for (const conn of this.conns) {
      if (conn.state === 'pending' && t - conn.openedAt > this.options.helloTimeoutMs) {
        this.fail(conn, ErrorCode.HELLO_TIMEOUT, `no hello within ${this.options.helloTimeoutMs} ms`);
        continue;
      }
      if (conn.state === 'open') {
        const interval =
          conn.protocol === 'legacy' ? this.options.legacyHeartbeatMs : this.options.heartbeatMs;
        const limit = interval * this.options.heartbeatMisses;
        if (t - conn.lastSeen > limit) {
          this.fail(conn, ErrorCode.HEARTBEAT_TIMEOUT, `silent for more than ${limit} ms`);
          continue;
        }
      }
      conn.outbox.checkStall();
    }
  }

  // ---- our protocol ----------------------------------------------------------------------------

  /** A frame (or a frame error) from a connection speaking our protocol. */
  receive(conn: Conn, frame: DecodedFrame): void {
    if (!conn.live) return;
    conn.lastSeen = now();
    conn.protocol ??= 'ours';
    if (!frame.ok) return this.refuse(conn, frame.code, frame.message, frame.fatal);
    const parsed = parseMessage(frame.value);
    if (!parsed.ok) return this.refuse(conn, parsed.code, parsed.message, false);
    const msg = parsed.value;
    if (conn.state === 'pending') {
      if (msg.type !== MessageType.hello) {
        return this.fail(conn, ErrorCode.HELLO_REQUIRED, `say hello first (got ${msg.type})`);
      }
      return this.hello(conn, msg);
    }
    this.handle(conn, msg);
  }

  private handle(conn: Conn, msg: Message): void {
    const entry = conn.entry;
    if (!entry) return;
    switch (msg.type) {
      case MessageType.heartbeat:
        entry.beat(msg.traffic);
        this.rooms.touch(entry.room, 'soft');
        return;
      case MessageType.ack:
        if (!this.hasSlot(entry.room, msg.slot, msg.seq)) {
          return this.refuse(
            conn,
            ErrorCode.BAD_MESSAGE,
            `ack for slot ${msg.slot}, which neither release ${msg.seq} nor the latest of room ${entry.room} has`,
            false,
          );
        }
        entry.ack(msg);
        this.metrics.acks.inc({ status: msg.status });
        this.rooms.touch(entry.room, 'hard');
        return;
      case MessageType.blobGet:
        void this.blobGet(conn, entry.room, msg.sha256, msg.from, msg.count, msg.defer ?? false);
        return;
      case MessageType.peersGet:
        conn.outbox.send(this.peersAnswer(conn), { key: 'peers' });
        return;
      case MessageType.error:
        // A client's word about something we sent: nothing to do but not to answer it.
        return;
      case MessageType.hello:
        return this.refuse(conn, ErrorCode.BAD_MESSAGE, 'hello was already said', false);
      default:
        return this.refuse(conn, ErrorCode.FORBIDDEN, `clients do not send ${msg.type}`, false);
    }
  }

  private hello(conn: Conn, hello: Hello): void {
    const clientId = this.rooms.freeId(hello.room, hello.clientId);
    const entry = new RosterEntry(
      clientId,
      hello.room,
      hello.role,
      conn.wire.transport,
      hello.platform ?? '',
      conn.wire.address,
      hello.seq,
    );
    if (hello.slots) {
      // Only slots the room's releases have: a client can't grow the roster with names of its own.
      const known = Object.entries(hello.slots).filter(([name]) => this.hasSlot(hello.room, name, hello.seq));
      entry.holds(hello.seq, Object.fromEntries(known));
    }
    conn.entry = entry;
    conn.peerId = hello.peerId;
    conn.state = 'open';
    this.rooms.join(conn);

    const latest = this.relay.latest(hello.room);
    const peers = this.peersFor(conn, 32);
    conn.outbox.send(
      payloadOf({
        type: MessageType.welcome,
        clientId,
        room: hello.room,
        seq: latest?.release.seq ?? 0,
        heartbeatMs: this.options.heartbeatMs,
        maxFrameBytes: this.options.maxFrameBytes,
        serverTime: new Date().toISOString(),
        ...(peers.length > 0 ? { peers } : {}),
      }),
    );
    if (latest && latest.release.seq > hello.seq) {
      conn.outbox.send(this.releasePayload(latest), { key: 'release' });
    }
    if (hello.role === 'admin') conn.outbox.send(payloadOf(this.rosterOf(hello.room)), { key: 'roster' });
  }

  /**
   * True when the room's latest release, or its release `seq` (the one a client speaks of, which a
   * newer publish may have superseded meanwhile), has a slot of this name.
   */
  private hasSlot(room: string, slot: string, seq: number): boolean {
    const state = this.relay.store.room(room);
    const latest = latestOf(state);
    if (latest && Object.hasOwn(latest.release.slots, slot)) return true;
    const named = releaseAt(state, seq);
    return named !== null && Object.hasOwn(named.release.slots, slot);
  }

  private releasePayload(signed: SignedRelease): Payload {
    const room = signed.release.room;
    const hit = this.releasePayloads.get(room);
    if (hit && hit.seq === signed.release.seq) return hit.payload;
    const payload = payloadOf({ type: MessageType.release, signed });
    this.releasePayloads.set(room, { seq: signed.release.seq, payload });
    return payload;
  }

  private async blobGet(
    conn: Conn,
    room: string,
    sha256: string,
    from: number,
    count: number,
    mayDefer: boolean,
  ): Promise<void> {
    // The chunking of the newest release of the room naming the blob (the store's index).
    const desc = this.relay.store.descriptor(room, sha256);
    if (!desc) {
      return this.refuse(
        conn,
        ErrorCode.BLOB_MISSING,
        `no release of room ${room} names blob ${sha256}`,
        false,
      );
    }
    const total = desc.chunks.length;
    if (from >= total) {
      return this.refuse(
        conn,
        ErrorCode.BAD_MESSAGE,
        `blob ${sha256} has ${total} chunks, from=${from}`,
        false,
      );
    }
    const end = Math.min(total, from + count);
    let estimate = 0;
    for (let i = from; i < end; i++) {
      estimate += chunkPayloadEstimate(chunkLength(desc, i));
    }
    // Requests still reading their blob count too: pipelined requests all pass this check before any
    // of them queues a chunk, and their sum must fit. Part of the queue is kept for control messages.
    const budget = this.options.outbox.maxQueuedBytes * BLOB_QUEUE_SHARE;
    if (conn.outbox.pendingBytes + conn.blobBytesPending + estimate > budget) {
      // Flow control, not misbehaviour: not a bad message. An unsent refusal is replaced by the next
      // one, so a burst of refused requests can't fill the queue with errors.
      this.metrics.refusals.inc({ code: ErrorCode.TOO_SLOW, source: 'socket' });
      const why = `too many chunks requested at once: ask for ${sha256} chunk ${from} again later`;
      conn.outbox.send(errorPayload(ErrorCode.TOO_SLOW, why, false), { key: 'blob.too-slow' });
      return;
    }
    conn.blobBytesPending += estimate;
    let blob: Uint8Array | null;
    try {
      blob = await this.relay.store.readBlob(sha256);
    } finally {
      conn.blobBytesPending -= estimate;
    }
    if (!conn.live) return;
    if (!blob) return this.refuse(conn, ErrorCode.BLOB_MISSING, `blob ${sha256} is not stored`, false);
    for (let i = from; i < end; i++) {
      // A client with swarm peers may be told to get a chunk from them: the relay lets out about one
      // copy of each chunk to the swarm (protocol/swarm/relay-policy.ts) and a trickle after that.
      const decision = this.swarmPolicy.decide(sha256, total, i, mayDefer);
      if (!decision.serve) {
        conn.outbox.send(
          payloadOf({ type: MessageType.blobDefer, sha256, index: i, retryAfterMs: decision.retryAfterMs }),
        );
        continue;
      }
      const size = chunkPayloadEstimate(chunkLength(desc, i));
      conn.outbox.send(() => this.chunks.chunk(sha256, blob, desc.chunkSize, i), { bulk: true }, size);
    }
  }

  /** PeerJS ids of other swarm members of the connection's room: a random sample of up to `max`. */
  private peersFor(conn: Conn, max: number): string[] {
    const room = conn.room;
    return room ? this.rooms.samplePeers(room, conn, max) : [];
  }

  /** The answer to `peers.get`: a fresh sample at most once per `peersIntervalMs`, else the last one. */
  private peersAnswer(conn: Conn): Payload {
    const t = now();
    const last = conn.lastPeers;
    if (last && t - last.at < this.options.peersIntervalMs) return last.payload;
    const payload = payloadOf({ type: MessageType.peers, peers: this.peersFor(conn, 64) });
    conn.lastPeers = { at: t, payload };
    return payload;
  }

  // ---- releases ------------------------------------------------------------------------------

  /** A new release is durable: announce it to every connection of its room. */
  private released(signed: SignedRelease): void {
    const room = signed.release.room;
    this.metrics.releasesPublished.inc();
    const payload = this.releasePayload(signed);
    for (const conn of this.rooms.sessions(room)) {
      if (conn.state !== 'open') continue;
      if (conn.protocol === 'legacy') this.seeds.sync(conn);
      else if ((conn.entry?.seq ?? 0) < signed.release.seq) conn.outbox.send(payload, { key: 'release' });
    }
    this.rooms.touch(room, 'hard');
  }

  // ---- roster and the seed's protocol -------------------------------------------------------

  /** The roster of a room. */
  rosterOf(room: string): Roster {
    return this.rooms.rosterOf(room);
  }

  /** Connected clients per room. */
  clientCount(room: string): number {
    return this.rooms.clientCount(room);
  }

  /** The unframed `client_info` a seed client opens with. */
  receiveLegacyHello(conn: Conn, json: unknown): void {
    if (!conn.live) return;
    conn.lastSeen = now();
    this.seeds.hello(conn, json);
  }

  /** A framed message from a seed client (`heartbeat`, `ack_update`). */
  receiveLegacy(conn: Conn, frame: DecodedFrame): void {
    if (!conn.live) return;
    conn.lastSeen = now();
    this.seeds.receive(conn, frame);
  }
}
