/**
 * The hub: every live relay connection, grouped by room. It is assembled from parts that each do one
 * job — admission and liveness (`connections.ts`), rooms and the admins' live roster (`rooms.ts`),
 * `blob.get` answers (`blob-flow.ts`), the encoded release and seed frames (`payloads.ts`,
 * `seed-view.ts`) — and gives each connection a session for the protocol it speaks: ours
 * (`patch-session.ts`, a handler per message type) or the seed protocol (`seed-session.ts`). When the
 * relay makes a release durable, the hub announces it to every session of its room.
 */
import type { DecodedFrame, ErrorCode, Roster, SignedRelease } from '../../protocol/index.ts';
import type { Metrics } from '../metrics.ts';
import type { Relay, UploadedSlot } from '../relay/relay.ts';
import { BlobFlow, type ChunkWire } from './blob-flow.ts';
import type { DeferralPolicy } from './deferral.ts';
import { EgressBudget } from './egress.ts';
import type { Conn, Wire } from './conn.ts';
import { Connections, now } from './connections.ts';
import { WriteScheduler } from './fanout.ts';
import type { PeerIds } from './peer-ids.ts';
import { DEFAULT_HUB_OPTIONS, type HubOptions } from './options.ts';
import type { HubParts } from './parts.ts';
import { ClientIds } from './client-ids.ts';
import { PatchSession } from './patch-session.ts';
import { ReleasePayloads } from './payloads.ts';
import { Rooms } from './rooms.ts';
import { SeedSession } from './seed-session.ts';
import { SeedViews } from './seed-view.ts';

export { DEFAULT_HUB_OPTIONS, type HubOptions } from './options.ts';

/** The hub. One per server. */
export class Hub {
  readonly options: HubOptions;
  readonly scheduler: WriteScheduler;
  readonly rooms: Rooms;
  private readonly connections: Connections;
  private readonly parts: HubParts;
  private readonly egress: EgressBudget;

  constructor(
    relay: Relay,
    private readonly metrics: Metrics,
    options: Partial<HubOptions> = {},
  ) {
    this.options = { ...DEFAULT_HUB_OPTIONS, ...options };
    this.scheduler = new WriteScheduler({
      ...this.options.scheduler,
      onRevoke: () => metrics.slotRevocations.inc(),
    });
    const rooms = new Rooms((room) => relay.latest(room)?.release.seq ?? 0, this.options.rosterIntervalMs);
    this.rooms = rooms;
    const connections = new Connections(this.options, metrics, this.scheduler, (conn) => rooms.leave(conn));
    this.connections = connections;
    this.egress = new EgressBudget({ bytesPerSecond: this.options.egressBytesPerSecond });
    this.parts = {
      options: this.options,
      relay,
      metrics,
      connections,
      clientIds: new ClientIds(),
      rooms,
      releases: new ReleasePayloads(),
      blobs: new BlobFlow(
        relay,
        metrics,
        connections,
        this.options.outbox.maxQueuedBytes,
        this.egress,
        this.options.pushBlobMaxBytes,
      ),
      seedViews: new SeedViews((sha256) => relay.readBlob(sha256)),
    };
    // The publish is answered as soon as the release is durable; the announcement to every
    // connection (10,000 writes on a busy relay) follows on the next turn of the event loop.
    // A release's small blobs are read (once) first: they go with it to players that take them pushed.
    relay.onRelease((signed) => setImmediate(() => void this.released(signed)));
    // An upload comes before its release is published: what it will be sent as is made meanwhile,
    // after the upload's answer.
    relay.onBlobArrived((sha256, bytes, named) => setImmediate(() => this.arrived(sha256, bytes, named)));
  }

  /**
   * A blob uploaded for a release of `room` not published yet: its chunk messages are framed for
   * the wires and encodings of the room's connections, and a seed background's base64 is made, so
   * the publish that follows starts writing at once (the frames are cached, bounded by bytes).
   */
  private arrived(sha256: string, bytes: Uint8Array, { room, name, slot }: UploadedSlot): void {
    const wires = new Map<string, ChunkWire>();
    let seed = false;
    for (const conn of this.rooms.members(room)) {
      const session = conn.session;
      if (session instanceof SeedSession) seed = true;
      // A client that takes big blobs whole over HTTP asks for chunks only when that fails: framing
      // them ahead for it held up the release's publish (docs/performance.md, twelfth round).
      else if (session instanceof PatchSession && !session.httpBlobs) {
        const { framing } = conn.wire;
        wires.set(`${session.binaryChunks}:${framing.name}`, { binary: session.binaryChunks, framing });
      }
    }
    this.parts.blobs.prepare(sha256, bytes, slot.chunkSize, wires.values());
    if (seed) this.parts.seedViews.prepare(sha256, bytes, name, slot);
  }

  /**
   * True when what blob `sha256` is sent as is made already: its chunk messages for `wire` (cut in
   * `chunkSize` pieces), or with `seed`, its base64 for seed-protocol frames.
   */
  isPrepared(sha256: string, chunkSize: number, wire: ChunkWire | 'seed'): boolean {
    if (wire === 'seed') return this.parts.seedViews.hasImage(sha256);
    return this.parts.blobs.isFramed(sha256, chunkSize, wire);
  }

  /** The swarm deferral policy of `blob.get` answers (a cluster tells it other nodes' copies). */
  get deferral(): DeferralPolicy {
    return this.parts.blobs.deferral;
  }

  /** Live connections. */
  get size(): number {
    return this.connections.size;
  }

  /** Admits a new connection; over a limit, it is told so and closed. */
  open(wire: Wire): Conn {
    return this.connections.admit(wire);
  }

  /** The transport's socket is gone. */
  closed(conn: Conn): void {
    this.connections.closed(conn);
  }

  /** Sends a fatal error, then closes (forcibly after the grace time). */
  fail(conn: Conn, code: ErrorCode, message: string): void {
    this.connections.fail(conn, code, message);
  }

  /**
   * A frame (or a frame error) from a connection. Its first message decides its session: a
   * connection that did not open with the seed's `client_info` speaks our protocol.
   */
  receive(conn: Conn, frame: DecodedFrame): void {
    if (!conn.live) return;
    conn.lastSeen = now();
    conn.session ??= new PatchSession(conn, this.parts);
    conn.session.receive(frame);
  }

  /** The unframed `client_info` a seed-protocol client opens with (TCP only). */
  receiveSeedHello(conn: Conn, json: unknown): void {
    if (!conn.live) return;
    conn.lastSeen = now();
    const session = new SeedSession(conn, this.parts);
    conn.session = session;
    session.hello(json);
  }

  /** PeerJS ids: the server reports registrations on `/peerjs` here. */
  get peerIds(): PeerIds {
    return this.rooms.peerIds;
  }

  /** The roster of a room, whole (addresses included): for the relay's own use, never for anonymous callers. */
  rosterOf(room: string): Roster {
    return this.rooms.rosterOf(room);
  }

  /**
   * Blob bytes sent since start (`blob.get` answers and pushes alike: what `--egress-limit` meters),
   * and the small blobs pushed with releases, with their bytes.
   */
  blobStats(): { readonly egressBytes: number; readonly pushedBlobs: number; readonly pushedBytes: number } {
    const { pushedBlobs, pushedBytes } = this.parts.blobs.push;
    return { egressBytes: this.egress.sentBytes, pushedBlobs, pushedBytes };
  }

  /** See `Presence.defersBlobs`: true under an egress limit. */
  defersBlobs(): boolean {
    return this.egress.bytesPerSecond !== null;
  }

  /** See `Presence.takeBlobEgress`: a player's whole-blob HTTP GET, served only without an egress limit. */
  takeBlobEgress(bytes: number): boolean {
    if (this.egress.bytesPerSecond !== null) return false;
    this.egress.schedule(bytes, () => undefined);
    return true;
  }

  /** Connected clients per room. */
  clientCount(room: string): number {
    return this.rooms.clientCount(room);
  }

  /**
   * Closes every connection with `SERVER_SHUTDOWN`; with `retryAfterMs`, the error tells clients when
   * to come back (the relay is restarting).
   */
  close(retryAfterMs?: number): void {
    this.connections.close(retryAfterMs);
    this.parts.blobs.close();
    this.rooms.close();
    this.scheduler.close();
  }

  /**
   * A new release is durable: announce it to every session of its room, with its small blobs for the
   * clients that take them pushed (read once, before the first announcement).
   */
  private async released(signed: SignedRelease): Promise<void> {
    const room = signed.release.room;
    this.metrics.releasesPublished.inc();
    // An unreadable blob is not pushed: the players ask for it, and `blob.get` refuses with a code.
    const small = await this.parts.blobs.push.load(signed).catch(() => []);
    // A newer release made durable meanwhile is announced by its own call: the older must not follow it.
    if ((this.parts.relay.latest(room)?.release.seq ?? 0) > signed.release.seq) return;
    for (const conn of this.rooms.members(room)) {
      if (conn.state === 'open') conn.session?.announce(signed, small);
    }
    this.rooms.touch(room, 'hard');
  }
}
