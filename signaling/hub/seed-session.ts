/**
 * A connection that speaks the seed protocol: an unframed `client_info` hello puts it in the seed
 * room's roster (transport `seed-tcp`), it gets `initial_config` and then a `hot_update` for each
 * part a release changes, and its `heartbeat` and `ack_update` frames count in the roster.
 */
import {
  AckStatus,
  ErrorCode,
  SeedUpdateType,
  Transport,
  WellKnownSlot,
  parseClientInfo,
  parseSeedClientMessage,
  type DecodedFrame,
} from '../../protocol/index.ts';
import type { Conn, Session } from './conn.ts';
import type { HubParts } from './parts.ts';
import { RosterEntry } from './roster.ts';

/** What a seed-protocol connection was last sent, to send `hot_update` only for what changed. */
interface SeedSent {
  readonly seq: number;
  readonly script: string;
  readonly background: string;
  readonly scriptVersion: string;
  readonly backgroundVersion: string;
}

/** One connection speaking the seed protocol. */
export class SeedSession implements Session {
  readonly heartbeatMs: number;
  private sent: SeedSent | null = null;
  /** Serializes this connection's updates (each waits for its release's seed view). */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly conn: Conn,
    readonly parts: HubParts,
  ) {
    this.heartbeatMs = parts.options.seedHeartbeatMs;
  }

  /** The unframed `client_info` a seed client opens with. */
  hello(json: unknown): void {
    const { conn, parts } = this;
    parts.connections.retag(conn, Transport.seedTcp);
    const info = parseClientInfo(json);
    if (!info.ok) return parts.connections.fail(conn, info.code, info.message);
    const room = parts.options.seedRoom;
    if (room === null) {
      return parts.connections.fail(
        conn,
        ErrorCode.NO_SEED_ROOM,
        'this relay serves no room to seed-protocol clients (its operator names one with --seed-room)',
      );
    }
    // The seed protocol has no client id: the address names the client.
    const requested = `${conn.wire.address}:${conn.wire.port}`.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 64);
    const platform = [info.value.platform ?? 'seed client', info.value.version].filter(Boolean).join(' ');
    conn.entry = new RosterEntry(
      parts.rooms.freeId(room, requested),
      room,
      'player',
      conn.wire.transport,
      platform,
      conn.wire.address,
      0,
    );
    conn.state = 'open';
    parts.rooms.join(conn);
    this.sync();
  }

  /** A framed message from a seed client (`heartbeat`, `ack_update`). */
  receive(frame: DecodedFrame): void {
    const { conn, parts } = this;
    const entry = conn.entry;
    if (!frame.ok) return parts.connections.refuse(conn, frame.code, frame.message, frame.fatal);
    const parsed = parseSeedClientMessage(frame.value);
    if (!parsed.ok) return parts.connections.refuse(conn, parsed.code, parsed.message, false);
    if (!entry) return parts.connections.fail(conn, ErrorCode.HELLO_REQUIRED, 'send client_info first');
    const message = parsed.value;
    if (message.type === 'heartbeat') {
      entry.beat(undefined);
      parts.rooms.touch(entry.room, 'soft');
      return;
    }
    const sent = this.sent;
    const script = message.update_type === SeedUpdateType.script;
    const slot = script ? WellKnownSlot.seedScript : WellKnownSlot.background;
    const version = message.version ?? (script ? sent?.scriptVersion : sent?.backgroundVersion) ?? '?';
    entry.seedAck(slot, sent?.seq ?? 0, version, message.success);
    parts.metrics.acks.inc({ status: message.success ? AckStatus.applied : AckStatus.failed });
    parts.rooms.touch(entry.room, 'hard');
  }

  announce(): void {
    this.sync();
  }

  /**
   * Brings the client up to its room's latest release: `initial_config` first (rebuilt if a newer
   * release comes before it left), then a `hot_update` per changed part, each superseding an unsent
   * older one of its kind. Each frame is encoded once per release and shared.
   */
  private sync(): void {
    const { conn, parts } = this;
    this.chain = this.chain
      .then(async () => {
        const room = conn.room;
        if (!room || conn.state !== 'open') return;
        const view = await parts.seedViews.get(room, parts.relay.latest(room));
        if (conn.state !== 'open') return;
        const sent = this.sent;
        if (!sent || conn.outbox.hasQueued('seed:initial')) {
          const size = view.scriptSize + view.backgroundSize;
          conn.outbox.send(view.initial, { bulk: true, key: 'seed:initial' }, size);
        } else {
          if (view.scriptKey !== sent.script) {
            conn.outbox.send(view.scriptUpdate, { bulk: true, key: 'seed:script' }, view.scriptSize);
          }
          if (view.backgroundKey !== sent.background) {
            const options = { bulk: true, key: 'seed:background' };
            conn.outbox.send(view.backgroundUpdate, options, view.backgroundSize);
          }
        }
        this.sent = {
          seq: view.seq,
          script: view.scriptKey,
          background: view.backgroundKey,
          scriptVersion: view.scriptVersion,
          backgroundVersion: view.backgroundVersion,
        };
      })
      .catch((error: unknown) => {
        const why = `could not build the seed update: ${String(error)}`;
        parts.connections.fail(conn, ErrorCode.INTERNAL, why);
      });
  }
}
