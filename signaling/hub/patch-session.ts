/**
 * A connection that speaks our protocol (WebSocket `/ws`, framed TCP). Every frame goes through the
 * protocol's validator; before `hello` nothing else is accepted, after it each message type goes to
 * its handler in {@link HANDLERS}: heartbeats and acks feed the roster, `blob.get` the blob flow,
 * `peers.get` a sample of the room's swarm.
 */
import {
  ErrorCode,
  MessageType,
  parseMessage,
  type DecodedFrame,
  rosterChallengeBytes,
  verifyBytes,
  type Hello,
  type RosterAuth,
  type SignedRelease,
} from '../../protocol/index.ts';
import { randomBytes } from 'node:crypto';
import type { BlobAccount } from './blob-flow.ts';
import type { PushTarget, SmallBlob } from './blob-push.ts';
import type { Conn, Session } from './conn.ts';
import { now } from './connections.ts';
import { PEERS_ANSWER_MAX, WELCOME_PEERS } from './options.ts';
import type { Payload } from './outbox.ts';
import type { HubParts } from './parts.ts';
import { payloadOf } from './payloads.ts';
import { HandlerRegistry } from './registry.ts';
import { RosterEntry } from './roster.ts';

/** One connection speaking our protocol. */
export class PatchSession implements Session, BlobAccount, PushTarget {
  readonly heartbeatMs: number;
  blobBytesPending = 0;
  /** Said in its hello: it reads binary chunk frames. */
  binaryChunks = false;
  /** Said in its hello: it takes a release's small blobs pushed behind it (`blob-push.ts`). */
  pushBlobs = false;
  /** Said in its hello: it takes blobs of more than one chunk whole over HTTP (no chunk frames ahead). */
  httpBlobs = false;
  /** The client id its hello said: the one it buckets itself by for staged rollouts. */
  rolloutId = '';
  /** The newest release sent on this connection (its hello's and the hub's announcement may race). */
  private sentSeq = 0;
  /** The nonce an admin signs to see the roster, until it answers (one try). */
  private challenge: string | null = null;
  /** The last `peers` answer drawn for it and when (`peers.get` draws at most one per interval). */
  private lastPeers: { readonly at: number; readonly payload: Payload } | null = null;

  constructor(
    readonly conn: Conn,
    readonly parts: HubParts,
  ) {
    this.heartbeatMs = parts.options.heartbeatMs;
  }

  receive(frame: DecodedFrame): void {
    const { conn, parts } = this;
    if (!frame.ok) return parts.connections.refuse(conn, frame.code, frame.message, frame.fatal);
    const parsed = parseMessage(frame.value);
    if (!parsed.ok) return parts.connections.refuse(conn, parsed.code, parsed.message, false);
    const message = parsed.value;
    if (conn.state === 'pending') {
      if (message.type === MessageType.hello) return this.hello(message);
      return parts.connections.fail(conn, ErrorCode.HELLO_REQUIRED, `say hello first (got ${message.type})`);
    }
    if (!HANDLERS.dispatch(this, message)) {
      parts.connections.refuse(conn, ErrorCode.FORBIDDEN, `clients do not send ${message.type}`, false);
    }
  }

  announce(signed: SignedRelease, small: readonly SmallBlob[] = []): void {
    if ((this.conn.entry?.seq ?? 0) >= signed.release.seq) return;
    this.sendRelease(signed, small);
  }

  /** The release, and (to a client that takes them) the small blobs it will fetch, in one write. */
  private sendRelease(signed: SignedRelease, small: readonly SmallBlob[] | null): void {
    const { conn, parts } = this;
    if (signed.release.seq <= this.sentSeq) return;
    this.sentSeq = signed.release.seq;
    const release = parts.releases.of(signed);
    if (!this.pushBlobs || !small || small.length === 0) return conn.outbox.send(release, { key: 'release' });
    conn.outbox.batch(() => {
      conn.outbox.send(release, { key: 'release' });
      parts.blobs.push.push(conn, this, small);
    });
  }

  /** {@link sendRelease} once the release's small blobs are read, unless a newer one came meanwhile. */
  private async sendReleaseRead(signed: SignedRelease): Promise<void> {
    const { conn, parts } = this;
    const small = await parts.blobs.push.load(signed).catch(() => []);
    const { room, seq } = signed.release;
    // A newer release is announced to this connection by the hub (it is open and in the room).
    if (!conn.live || (parts.relay.latest(room)?.release.seq ?? 0) > seq) return;
    if ((conn.entry?.seq ?? 0) >= seq) return;
    this.sendRelease(signed, small);
  }

  /** Puts the connection in its room's roster and answers `welcome` (+ the release it lacks, + roster). */
  private hello(hello: Hello): void {
    const { conn, parts } = this;
    const clientId = parts.clientIds.claim(hello.room, hello.clientId, hello.clientSecret, (id) =>
      parts.rooms.has(hello.room, id),
    );
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
      const known = Object.entries(hello.slots).filter(([name]) =>
        parts.relay.namesSlot(hello.room, name, hello.seq),
      );
      entry.recordHello(hello.seq, Object.fromEntries(known));
      if (hello.role === 'player') parts.relay.recordHeld(hello.room, clientId, hello.seq, hello.slots);
    }
    conn.entry = entry;
    conn.state = 'open';
    this.binaryChunks = hello.binaryChunks === true;
    this.httpBlobs = hello.httpBlobs === true;
    this.pushBlobs = hello.pushBlobs === true;
    this.rolloutId = hello.clientId;
    if (hello.peerId !== undefined) {
      const refused = parts.rooms.peerIds.claim(conn, hello.peerId);
      if (refused) parts.connections.refuse(conn, refused.code, refused.message, false);
      else conn.peerId = hello.peerId;
    }
    parts.rooms.join(conn);

    if (hello.role === 'admin') this.challenge = randomBytes(32).toString('base64url');
    const latest = parts.relay.latest(hello.room);
    const peers = parts.rooms.samplePeers(hello.room, conn, WELCOME_PEERS);
    const rotationVersion = parts.relay.rotationVersion(hello.room);
    conn.outbox.send(
      payloadOf({
        type: MessageType.welcome,
        clientId,
        room: hello.room,
        seq: latest?.release.seq ?? 0,
        heartbeatMs: parts.options.heartbeatMs,
        maxFrameBytes: parts.options.maxFrameBytes,
        serverTime: new Date().toISOString(),
        ...(peers.length > 0 ? { peers } : {}),
        ...(parts.options.egressBytesPerSecond != null ? { defers: true as const } : {}),
        ...(this.challenge !== null ? { challenge: this.challenge } : {}),
        ...(rotationVersion !== null ? { rotationVersion } : {}),
      }),
    );
    if (latest && latest.release.seq > hello.seq) {
      // Behind the latest (it was offline): the release, and what it lacks of it pushed — at once if
      // its small blobs are read already, else once they are (a hello during a publish, or after a
      // restart: one read for everyone).
      const small = this.pushBlobs && parts.blobs.push.enabled ? parts.blobs.push.cached(latest) : [];
      if (small) this.sendRelease(latest, small);
      else void this.sendReleaseRead(latest);
    }
  }

  /** An admin's answer to its challenge: a room key's signature admits it to the roster. */
  async authenticate(auth: RosterAuth): Promise<void> {
    const { conn, parts } = this;
    const room = conn.room;
    const nonce = this.challenge;
    this.challenge = null;
    if (room === null || nonce === null) {
      return parts.connections.refuse(conn, ErrorCode.FORBIDDEN, 'no roster challenge to answer', false);
    }
    const trusted = [...(parts.relay.trustedKeys(room)?.values() ?? [])];
    const valid =
      trusted.includes(auth.publicKey) &&
      (await verifyBytes(auth.publicKey, rosterChallengeBytes(room, nonce), auth.sig));
    if (!conn.live) return;
    if (!valid) {
      const why = `roster of room ${room}: not signed by a key the room trusts`;
      return parts.connections.refuse(conn, ErrorCode.NOT_AUTHORIZED, why, false);
    }
    parts.rooms.admit(conn);
    conn.outbox.send(payloadOf(parts.rooms.rosterOf(room)), { key: 'roster' });
  }

  /** The answer to `peers.get`: a fresh sample at most once per `peersIntervalMs`, else the last one. */
  peersAnswer(room: string): Payload {
    const t = now();
    const last = this.lastPeers;
    if (last && t - last.at < this.parts.options.peersIntervalMs) return last.payload;
    const peers = this.parts.rooms.samplePeers(room, this.conn, PEERS_ANSWER_MAX);
    const payload = payloadOf({ type: MessageType.peers, peers });
    this.lastPeers = { at: t, payload };
    return payload;
  }
}

/** What a client may send after its hello, by type; anything else is refused as `FORBIDDEN`. */
export const HANDLERS = new HandlerRegistry<PatchSession>()
  .on(MessageType.heartbeat, ({ conn, parts }, message) => {
    const entry = conn.entry;
    if (!entry) return;
    entry.beat(message.traffic);
    parts.rooms.touch(entry.room, 'soft');
  })
  .on(MessageType.ack, ({ conn, parts }, message) => {
    const entry = conn.entry;
    if (!entry) return;
    if (!parts.relay.namesSlot(entry.room, message.slot, message.seq)) {
      const why = `ack for slot ${message.slot}, which neither release ${message.seq} nor the latest of room ${entry.room} has`;
      return parts.connections.refuse(conn, ErrorCode.BAD_MESSAGE, why, false);
    }
    entry.ack(message);
    // Adoption counts players only: an admin page or a tool that acks changes no count.
    if (entry.role === 'player') parts.relay.recordAck(entry.room, entry.clientId, message);
    parts.metrics.acks.inc({ status: message.status });
    parts.rooms.touch(entry.room, 'hard');
  })
  .on(MessageType.blobGet, (session, message) => {
    const { conn, parts } = session;
    const room = conn.room;
    if (room === null) return;
    parts.blobs.serve(conn, session, room, message).catch((error: unknown) => {
      // A read error of the data dir: this request fails, the relay and the connection go on.
      if (conn.live)
        parts.connections.refuse(
          conn,
          ErrorCode.INTERNAL,
          `could not read the blob: ${String(error)}`,
          false,
        );
    });
  })
  .on(MessageType.peersGet, (session) => {
    const room = session.conn.room;
    if (room !== null) session.conn.outbox.send(session.peersAnswer(room), { key: 'peers' });
  })
  .on(MessageType.swarmStarved, ({ conn }, message) => {
    conn.swarmStarved = message.starved;
  })
  .on(MessageType.rosterAuth, (session, message) => {
    session.authenticate(message).catch(() => {
      // verifyBytes never throws; nothing else here does.
    });
  })
  .on(MessageType.error, () => {
    // A client's word about something we sent: nothing to do but not to answer it.
  })
  .on(MessageType.hello, ({ conn, parts }) => {
    parts.connections.refuse(conn, ErrorCode.BAD_MESSAGE, 'hello was already said', false);
  });
