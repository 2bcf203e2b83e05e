/**
 * The hub: every live relay connection, grouped by room. It admits connections (limits), checks every
 * message through the protocol's validators, answers `hello`/`blob.get`, records heartbeats and acks
 * in the roster, pushes new releases to every connection of their room, keeps admins' rosters live,
 * and drops what is silent, too slow or misbehaving — always with an `error` first, and without
 * disturbing anybody else.
 */
import {
  AckStatus,
  ErrorCode,
  MessageType,
  WellKnownSlot,
  type BlobDescriptor,
  type DecodedFrame,
  type ErrorCode as Code,
  type Hello,
  type Message,
  type Roster,
  type SignedRelease,
  parseClientInfo,
  parseLegacyClientMessage,
  parseMessage,
  LegacyUpdateType,
} from '../../protocol/index.ts';
import type { Metrics } from '../metrics.ts';
import type { Relay } from '../relay/relay.ts';
import { Conn, closeCodeOf, type Wire } from './conn.ts';
import { WriteScheduler, type SchedulerOptions } from './fanout.ts';
import { LegacyViews } from './legacy.ts';
import { Outbox, type OutboxLimits, type Payload } from './outbox.ts';
import { ChunkCache, chunkPayloadEstimate, errorPayload, payloadOf } from './payloads.ts';
import { RosterEntry, uniqueClientId } from './roster.ts';

/** Tunables of the hub. */
export interface HubOptions {
  readonly heartbeatMs: number;
  /** Heartbeat intervals a client may miss. */
  readonly heartbeatMisses: number;
  /** Heartbeat interval of seed clients (they beat every 10 s whatever we say). */
  readonly legacyHeartbeatMs: number;
  readonly helloTimeoutMs: number;
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
  readonly outbox: OutboxLimits;
  readonly scheduler: SchedulerOptions;
}

/** Defaults of {@link HubOptions}. */
export const DEFAULT_HUB_OPTIONS: HubOptions = {
  heartbeatMs: 10_000,
  heartbeatMisses: 3,
  legacyHeartbeatMs: 10_000,
  helloTimeoutMs: 5_000,
  maxFrameBytes: 16 * 1024 * 1024,
  legacyRoom: 'demo',
  maxConnections: 20_000,
  maxConnectionsPerIp: 5_000,
  badMessageBudget: 10,
  rosterIntervalMs: 200,
  closeGraceMs: 2_000,
  outbox: { windowBytes: 1024 * 1024, maxQueuedBytes: 64 * 1024 * 1024, dropAfterMs: 30_000 },
  scheduler: { maxActive: 4, stallMs: 250 },
};

/** A room's live side. */
interface Presence {
  readonly sessions: Map<string, Conn>;
  readonly admins: Set<Conn>;
  pending: 'none' | 'soft' | 'hard';
  timer: ReturnType<typeof setTimeout> | undefined;
  timerDue: number;
  lastSent: number;
}

const now = () => performance.now();

/** The hub. One per server. */
export class Hub {
  readonly options: HubOptions;
  readonly scheduler: WriteScheduler;
  private readonly conns = new Set<Conn>();
  private readonly perIp = new Map<string, number>();
  private readonly rooms = new Map<string, Presence>();
  private readonly blobIndex = new Map<string, Map<string, BlobDescriptor>>();
  private readonly releasePayloads = new Map<string, { seq: number; payload: Payload }>();
  private readonly chunks = new ChunkCache();
  private readonly legacyViews: LegacyViews;
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
    this.legacyViews = new LegacyViews(relay.store);
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
    const entry = conn.entry;
    if (!entry) return;
    const presence = this.rooms.get(entry.room);
    if (!presence) return;
    if (presence.sessions.get(entry.clientId) === conn) presence.sessions.delete(entry.clientId);
    presence.admins.delete(conn);
    this.touchRoster(entry.room, 'hard');
    this.forgetIfEmpty(entry.room);
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

  private refuse(conn: Conn, code: Code, message: string, fatal: boolean): void {
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
    for (const presence of this.rooms.values()) clearTimeout(presence.timer);
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
        this.touchRoster(entry.room, 'soft');
        return;
      case MessageType.ack:
        entry.ack(msg);
        this.metrics.acks.inc({ status: msg.status });
        this.touchRoster(entry.room, 'hard');
        return;
      case MessageType.blobGet:
        void this.blobGet(conn, entry.room, msg.sha256, msg.from, msg.count);
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

  private presence(room: string): Presence {
    let p = this.rooms.get(room);
    if (!p) {
      p = {
        sessions: new Map(),
        admins: new Set(),
        pending: 'none',
        timer: undefined,
        timerDue: 0,
        lastSent: -Infinity,
      };
      this.rooms.set(room, p);
    }
    return p;
  }

  private forgetIfEmpty(room: string): void {
    const p = this.rooms.get(room);
    if (p && p.sessions.size === 0 && !p.timer) this.rooms.delete(room);
  }

  private hello(conn: Conn, hello: Hello): void {
    const presence = this.presence(hello.room);
    const clientId = uniqueClientId(hello.clientId, (id) => presence.sessions.has(id));
    const entry = new RosterEntry(
      clientId,
      hello.room,
      hello.role,
      conn.wire.transport,
      hello.platform ?? '',
      conn.wire.address,
      hello.seq,
    );
    if (hello.slots) entry.holds(hello.seq, hello.slots);
    conn.entry = entry;
    conn.peerId = hello.peerId;
    conn.state = 'open';
    presence.sessions.set(clientId, conn);
    if (hello.role === 'admin') presence.admins.add(conn);

    const latest = this.relay.latest(hello.room);
    const peers = [...presence.sessions.values()]
      .filter((c) => c !== conn && c.peerId !== undefined)
      .slice(-32)
      .map((c) => c.peerId ?? '');
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
    this.touchRoster(hello.room, 'hard');
  }

  private releasePayload(signed: SignedRelease): Payload {
    const room = signed.release.room;
    const hit = this.releasePayloads.get(room);
    if (hit && hit.seq === signed.release.seq) return hit.payload;
    const payload = payloadOf({ type: MessageType.release, signed });
    this.releasePayloads.set(room, { seq: signed.release.seq, payload });
    return payload;
  }

  /** The chunking of a blob named by some release of `room` (newest release first). */
  private descriptor(room: string, sha256: string): BlobDescriptor | undefined {
    let index = this.blobIndex.get(room);
    if (!index) {
      index = new Map();
      const history = this.relay.store.room(room)?.history ?? [];
      for (let i = history.length - 1; i >= 0; i--) {
        for (const slot of Object.values(history[i]!.release.slots)) {
          if (!index.has(slot.sha256)) index.set(slot.sha256, slot);
        }
      }
      this.blobIndex.set(room, index);
    }
    return index.get(sha256);
  }

  private async blobGet(
    conn: Conn,
    room: string,
    sha256: string,
    from: number,
    count: number,
  ): Promise<void> {
    const desc = this.descriptor(room, sha256);
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
      estimate += chunkPayloadEstimate(Math.min(desc.chunkSize, desc.size - i * desc.chunkSize));
    }
    if (conn.outbox.pendingBytes + estimate > this.options.outbox.maxQueuedBytes) {
      return this.refuse(
        conn,
        ErrorCode.TOO_SLOW,
        `too many chunks requested at once: ask for ${sha256} chunk ${from} again later`,
        false,
      );
    }
    const blob = await this.relay.store.readBlob(sha256);
    if (!conn.live) return;
    if (!blob) return this.refuse(conn, ErrorCode.BLOB_MISSING, `blob ${sha256} is not stored`, false);
    for (let i = from; i < end; i++) {
      const size = chunkPayloadEstimate(Math.min(desc.chunkSize, desc.size - i * desc.chunkSize));
      conn.outbox.send(() => this.chunks.chunk(sha256, blob, desc.chunkSize, i), { bulk: true }, size);
    }
  }

  // ---- releases ------------------------------------------------------------------------------

  /** A new release is durable: announce it to every connection of its room. */
  private released(signed: SignedRelease): void {
    const room = signed.release.room;
    this.metrics.releasesPublished.inc();
    this.blobIndex.delete(room);
    const presence = this.rooms.get(room);
    if (!presence) return;
    const payload = this.releasePayload(signed);
    for (const conn of presence.sessions.values()) {
      if (conn.state !== 'open') continue;
      if (conn.protocol === 'legacy') this.legacySync(conn);
      else if ((conn.entry?.seq ?? 0) < signed.release.seq) conn.outbox.send(payload, { key: 'release' });
    }
    this.touchRoster(room, 'hard');
  }

  // ---- roster --------------------------------------------------------------------------------

  /** The roster of a room. */
  rosterOf(room: string): Roster {
    const presence = this.rooms.get(room);
    return {
      type: MessageType.roster,
      room,
      seq: this.relay.latest(room)?.release.seq ?? 0,
      at: new Date().toISOString(),
      clients: presence
        ? [...presence.sessions.values()].flatMap((c) => (c.entry ? [c.entry.toJSON()] : []))
        : [],
    };
  }

  /** Connected clients per room. */
  clientCount(room: string): number {
    return this.rooms.get(room)?.sessions.size ?? 0;
  }

  /**
   * Marks a room's roster changed. `hard` changes (joins, leaves, acks) reach admins within
   * `rosterIntervalMs`; `soft` ones (heartbeats) within a second.
   */
  private touchRoster(room: string, kind: 'soft' | 'hard'): void {
    const p = this.rooms.get(room);
    if (!p || p.admins.size === 0) return;
    if (kind === 'hard') p.pending = 'hard';
    else if (p.pending === 'none') p.pending = 'soft';
    const interval =
      p.pending === 'hard' ? this.options.rosterIntervalMs : Math.max(1000, this.options.rosterIntervalMs);
    const due = Math.max(now(), p.lastSent + interval);
    if (p.timer && p.timerDue <= due) return;
    clearTimeout(p.timer);
    p.timerDue = due;
    p.timer = setTimeout(() => this.flushRoster(room), due - now());
    p.timer.unref();
  }

  private flushRoster(room: string): void {
    const p = this.rooms.get(room);
    if (!p) return;
    p.timer = undefined;
    p.pending = 'none';
    p.lastSent = now();
    if (p.admins.size > 0) {
      const payload = payloadOf(this.rosterOf(room));
      for (const admin of p.admins) if (admin.state === 'open') admin.outbox.send(payload, { key: 'roster' });
    }
    this.forgetIfEmpty(room);
  }

  // ---- the seed's protocol -------------------------------------------------------------------

  /** The unframed `client_info` a seed client opens with. */
  receiveLegacyHello(conn: Conn, json: unknown): void {
    if (!conn.live) return;
    conn.lastSeen = now();
    conn.protocol = 'legacy';
    if (conn.wire.transport !== 'legacy-tcp') {
      this.metrics.connections.dec({ transport: conn.wire.transport });
      conn.wire.transport = 'legacy-tcp';
      this.metrics.connections.inc({ transport: conn.wire.transport });
    }
    const info = parseClientInfo(json);
    if (!info.ok) return this.fail(conn, info.code, info.message);
    const room = this.options.legacyRoom;
    const presence = this.presence(room);
    const requested = `${conn.wire.address}:${conn.wire.port}`.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 64);
    const clientId = uniqueClientId(requested, (id) => presence.sessions.has(id));
    const platform = [info.value.platform ?? 'seed client', info.value.version].filter(Boolean).join(' ');
    const entry = new RosterEntry(
      clientId,
      room,
      'player',
      conn.wire.transport,
      platform,
      conn.wire.address,
      0,
    );
    conn.entry = entry;
    conn.state = 'open';
    presence.sessions.set(clientId, conn);
    this.legacySync(conn);
    this.touchRoster(room, 'hard');
  }

  /** A framed message from a seed client (`heartbeat`, `ack_update`). */
  receiveLegacy(conn: Conn, frame: DecodedFrame): void {
    if (!conn.live) return;
    conn.lastSeen = now();
    const entry = conn.entry;
    if (!frame.ok) return this.refuse(conn, frame.code, frame.message, frame.fatal);
    const parsed = parseLegacyClientMessage(frame.value);
    if (!parsed.ok) return this.refuse(conn, parsed.code, parsed.message, false);
    if (!entry) return this.fail(conn, ErrorCode.HELLO_REQUIRED, 'send client_info first');
    const msg = parsed.value;
    if (msg.type === 'heartbeat') {
      entry.beat(undefined);
      this.touchRoster(entry.room, 'soft');
      return;
    }
    const sent = conn.legacySent;
    const script = msg.update_type === LegacyUpdateType.script;
    const slot = script ? WellKnownSlot.legacyLogic : WellKnownSlot.background;
    const version = msg.version ?? (script ? sent?.scriptVersion : sent?.backgroundVersion) ?? '?';
    entry.legacyAck(slot, sent?.seq ?? 0, version, msg.success);
    this.metrics.acks.inc({ status: msg.success ? AckStatus.applied : AckStatus.failed });
    this.touchRoster(entry.room, 'hard');
  }

  /**
   * Brings a seed client up to the room's latest release: `initial_config` first (rebuilt if a newer
   * release comes before it left), then a `hot_update` per changed part, each superseding an unsent
   * older one of its kind.
   */
  private legacySync(conn: Conn): void {
    conn.legacyChain = conn.legacyChain
      .then(async () => {
        const room = conn.room;
        if (!room || conn.state !== 'open') return;
        const view = await this.legacyViews.get(room, this.relay.latest(room));
        if (conn.state !== 'open') return;
        const sent = conn.legacySent;
        const next = {
          seq: view.seq,
          script: view.scriptKey,
          background: view.backgroundKey,
          scriptVersion: view.scriptVersion,
          backgroundVersion: view.backgroundVersion,
        };
        if (!sent || conn.outbox.hasQueued('legacy:initial')) {
          conn.outbox.send(
            view.initial,
            { bulk: true, key: 'legacy:initial' },
            view.scriptSize + view.backgroundSize,
          );
        } else {
          if (view.scriptKey !== sent.script) {
            conn.outbox.send(view.scriptUpdate, { bulk: true, key: 'legacy:script' }, view.scriptSize);
          }
          if (view.backgroundKey !== sent.background) {
            conn.outbox.send(
              view.backgroundUpdate,
              { bulk: true, key: 'legacy:background' },
              view.backgroundSize,
            );
          }
        }
        conn.legacySent = next;
      })
      .catch((error: unknown) => {
        this.fail(conn, ErrorCode.INTERNAL, `could not build the seed update: ${String(error)}`);
      });
  }
}
