/**
 * The roster across relay nodes: each node writes its clients of each room to Redis (one hash per
 * room, a field per node) every `shareMs` and soon after a join or a leave, and tells the others,
 * which read it and add those clients to the roster their admins see. A node's entry counts for
 * {@link PRESENCE_PERIODS} periods after it was last heard of: when a node dies, its clients leave
 * every other node's roster within that time.
 */
import { MessageType, parseMessage, type RosterClient } from '../../protocol/index.ts';
import type { Rooms } from '../hub/rooms.ts';
import type { ClusterStore } from './redis-store.ts';

/** How often a node writes its rosters by default (ms). */
export const DEFAULT_ROSTER_SHARE_MS = 1_000;

/** A node's clients stay in the others' rosters this many share periods after its last write. */
export const PRESENCE_PERIODS = 3;

/** One node's clients of one room, as another node holds them. */
interface RemoteEntry {
  readonly clients: readonly RosterClient[];
  readonly until: number;
}

/** Shares this node's rosters and keeps the other nodes'. */
export class RosterShare {
  /** Room → node → its clients. */
  private readonly remote = new Map<string, Map<string, RemoteEntry>>();
  /** Rooms this node wrote clients for last time (an emptied one is written once more, empty). */
  private written = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private soon: NodeJS.Timeout | null = null;
  private readonly stopListening: () => void;

  constructor(
    private readonly store: ClusterStore,
    private readonly rooms: Rooms,
    private readonly shareMs = DEFAULT_ROSTER_SHARE_MS,
    private readonly log: (message: string) => void = () => {},
  ) {
    rooms.followRemote((room) => this.clientsOf(room));
    rooms.onMembership = () => this.changed();
    this.stopListening = store.onEvent((event) => {
      if (event.type === 'roster') void this.read(event.room, event.node);
    });
    this.timer = setInterval(() => {
      this.expire();
      void this.share();
    }, shareMs);
    this.timer.unref();
  }

  /** A join or leave here: share within a tenth of the period (joins in a burst share once). */
  changed(): void {
    this.soon ??= setTimeout(
      () => {
        this.soon = null;
        void this.share();
      },
      Math.max(20, this.shareMs / 10),
    );
  }

  /** The other nodes' clients of a room, those still present. */
  clientsOf(room: string): RosterClient[] {
    const nodes = this.remote.get(room);
    if (!nodes) return [];
    const now = Date.now();
    const out: RosterClient[] = [];
    for (const [node, entry] of nodes) {
      if (entry.until < now) nodes.delete(node);
      else out.push(...entry.clients);
    }
    if (nodes.size === 0) this.remote.delete(room);
    return out;
  }

  /** Drops the entries of nodes not heard of in time (dead ones), and tells those rooms' admins. */
  private expire(): void {
    const now = Date.now();
    for (const [room, nodes] of this.remote) {
      let changed = false;
      for (const [node, entry] of nodes) {
        if (entry.until >= now) continue;
        nodes.delete(node);
        changed = true;
      }
      if (nodes.size === 0) this.remote.delete(room);
      if (changed) this.rooms.touch(room, 'hard');
    }
  }

  /** Writes this node's clients of each room it has (or just had) clients in. */
  private async share(): Promise<void> {
    const { redis, keys, node } = this.store;
    const names = new Set(this.rooms.localRoomNames());
    const ttlMs = this.shareMs * PRESENCE_PERIODS;
    const pipeline = redis.pipeline();
    for (const room of new Set([...names, ...this.written])) {
      const clients = names.has(room) ? this.rooms.localRosterOf(room).clients : [];
      if (clients.length > 0)
        pipeline.hset(keys.roster(room), node, JSON.stringify(this.rooms.localRosterOf(room)));
      else pipeline.hdel(keys.roster(room), node);
      pipeline.pexpire(keys.roster(room), ttlMs);
      pipeline.publish(keys.events, JSON.stringify({ type: 'roster', room, node }));
    }
    this.written = names;
    try {
      await pipeline.exec();
    } catch (error) {
      this.log(`redis: roster not shared: ${String(error)}`);
    }
  }

  /** Reads another node's clients of a room. */
  private async read(room: string, node: string): Promise<void> {
    let text: string | null;
    try {
      text = await this.store.redis.hget(this.store.keys.roster(room), node);
    } catch {
      return;
    }
    let nodes = this.remote.get(room);
    if (text === null) {
      nodes?.delete(node);
    } else {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      const parsed = parseMessage(json);
      if (!parsed.ok || parsed.value.type !== MessageType.roster || parsed.value.room !== room) {
        this.log(`redis: roster of room ${room} from node ${node} is unreadable (ignored)`);
        return;
      }
      if (!nodes) {
        nodes = new Map();
        this.remote.set(room, nodes);
      }
      nodes.set(node, {
        clients: parsed.value.clients,
        until: Date.now() + this.shareMs * PRESENCE_PERIODS,
      });
    }
    this.rooms.touch(room, 'hard');
  }

  /** Stops sharing (the node's entries expire in the others). */
  close(): void {
    clearInterval(this.timer);
    this.rooms.onMembership = null;
    if (this.soon) clearTimeout(this.soon);
    this.stopListening();
  }
}
