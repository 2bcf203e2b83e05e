/**
 * Connections that speak the seed's protocol: an unframed `client_info` hello puts them in the legacy
 * room's roster (transport `legacy-tcp`), they get `initial_config` and then a `hot_update` for each
 * part a release changes, and their `heartbeat` and `ack_update` frames count in the roster.
 */
import {
  AckStatus,
  ErrorCode,
  LegacyUpdateType,
  WellKnownSlot,
  parseClientInfo,
  parseLegacyClientMessage,
  type DecodedFrame,
  type ErrorCode as Code,
} from '../../protocol/index.ts';
import type { Metrics } from '../metrics.ts';
import type { Relay } from '../relay/relay.ts';
import type { Conn } from './conn.ts';
import { LegacyViews } from './legacy.ts';
import { RosterEntry } from './roster.ts';
import type { Rooms } from './rooms.ts';

/** What seed sessions need of the hub. */
export interface SeedHost {
  readonly rooms: Rooms;
  readonly relay: Relay;
  readonly metrics: Metrics;
  readonly legacyRoom: string;
  fail(conn: Conn, code: Code, message: string): void;
  refuse(conn: Conn, code: Code, message: string, fatal: boolean): void;
  /** Counts a connection under its new transport. */
  retag(conn: Conn): void;
}

/** The seed-protocol side of the hub. */
export class SeedSessions {
  private readonly views: LegacyViews;

  constructor(private readonly host: SeedHost) {
    this.views = new LegacyViews(host.relay.store);
  }

  /** The unframed `client_info` a seed client opens with. */
  hello(conn: Conn, json: unknown): void {
    conn.protocol = 'legacy';
    if (conn.wire.transport !== 'legacy-tcp') this.host.retag(conn);
    const info = parseClientInfo(json);
    if (!info.ok) return this.host.fail(conn, info.code, info.message);
    const room = this.host.legacyRoom;
    const requested = `${conn.wire.address}:${conn.wire.port}`.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 64);
    const platform = [info.value.platform ?? 'seed client', info.value.version].filter(Boolean).join(' ');
    conn.entry = new RosterEntry(
      this.host.rooms.freeId(room, requested),
      room,
      'player',
      conn.wire.transport,
      platform,
      conn.wire.address,
      0,
    );
    conn.state = 'open';
    this.host.rooms.join(conn);
    this.sync(conn);
  }

  /** A framed message from a seed client (`heartbeat`, `ack_update`). */
  receive(conn: Conn, frame: DecodedFrame): void {
    const entry = conn.entry;
    if (!frame.ok) return this.host.refuse(conn, frame.code, frame.message, frame.fatal);
    const parsed = parseLegacyClientMessage(frame.value);
    if (!parsed.ok) return this.host.refuse(conn, parsed.code, parsed.message, false);
    if (!entry) return this.host.fail(conn, ErrorCode.HELLO_REQUIRED, 'send client_info first');
    const msg = parsed.value;
    if (msg.type === 'heartbeat') {
      entry.beat(undefined);
      this.host.rooms.touch(entry.room, 'soft');
      return;
    }
    const sent = conn.legacySent;
    const script = msg.update_type === LegacyUpdateType.script;
    const slot = script ? WellKnownSlot.legacyLogic : WellKnownSlot.background;
    const version = msg.version ?? (script ? sent?.scriptVersion : sent?.backgroundVersion) ?? '?';
    entry.legacyAck(slot, sent?.seq ?? 0, version, msg.success);
    this.host.metrics.acks.inc({ status: msg.success ? AckStatus.applied : AckStatus.failed });
    this.host.rooms.touch(entry.room, 'hard');
  }

  /**
   * Brings a seed client up to its room's latest release: `initial_config` first (rebuilt if a newer
   * release comes before it left), then a `hot_update` per changed part, each superseding an unsent
   * older one of its kind. Each frame is encoded once per release and shared.
   */
  sync(conn: Conn): void {
    conn.legacyChain = conn.legacyChain
      .then(async () => {
        const room = conn.room;
        if (!room || conn.state !== 'open') return;
        const view = await this.views.get(room, this.host.relay.latest(room));
        if (conn.state !== 'open') return;
        const sent = conn.legacySent;
        if (!sent || conn.outbox.hasQueued('legacy:initial')) {
          const size = view.scriptSize + view.backgroundSize;
          conn.outbox.send(view.initial, { bulk: true, key: 'legacy:initial' }, size);
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
        conn.legacySent = {
          seq: view.seq,
          script: view.scriptKey,
          background: view.backgroundKey,
          scriptVersion: view.scriptVersion,
          backgroundVersion: view.backgroundVersion,
        };
      })
      .catch((error: unknown) => {
        this.host.fail(conn, ErrorCode.INTERNAL, `could not build the seed update: ${String(error)}`);
      });
  }
}
