/**
 * The swarm across relay nodes: which PeerJS ids a node may suggest to its players. Each node tells
 * the others, every `shareMs`, a random sample of its listable swarm members of each room (ids the
 * node saw register on its `/peerjs` from the address of the session that announced them, as
 * `peer-ids.ts` requires); the others draw from those too when they answer `hello` and `peers.get`
 * (`Rooms.samplePeers`). A player on one node is then offered peers on every node, and the data
 * connection it dials is signaled across nodes by `peer-route.ts`. A node's members count for
 * {@link SWARM_PRESENCE_PERIODS} periods after it last told them: a dead node's players stop being
 * suggested within that time.
 *
 * Presence only, so it goes over pub/sub without being written to Redis: a node that starts late, or
 * missed a message, hears every other node's members again within one period.
 */
import type { Rooms, SwarmMember } from '../hub/rooms.ts';
import type { ClusterStore } from './redis-store.ts';

/** How often a node tells its swarm members by default (ms). */
export const DEFAULT_SWARM_SHARE_MS = 1_000;

/** A node's members stay suggestible this many share periods after its last message. */
export const SWARM_PRESENCE_PERIODS = 3;

/**
 * Most members of one room a node tells per period: a random sample (a player gets at most 64 ids
 * per answer, so a few hundred from each node is plenty to draw from).
 */
export const MAX_SHARED_SWARM_MEMBERS = 256;

interface RemoteMembers {
  readonly members: readonly SwarmMember[];
  readonly until: number;
}

/** Tells this node's swarm members to the others and keeps theirs. */
export class SwarmShare {
  /** Room → node → its members. */
  private readonly remote = new Map<string, Map<string, RemoteMembers>>();
  /** Room → every other node's members, flattened (rebuilt when one changes). */
  private readonly flat = new Map<string, { members: SwarmMember[]; until: number }>();
  /** Rooms this node told members of last time (an emptied one is told once more, empty). */
  private told = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly stopListening: () => void;

  constructor(
    private readonly store: ClusterStore,
    private readonly rooms: Rooms,
    private readonly shareMs = DEFAULT_SWARM_SHARE_MS,
  ) {
    rooms.followRemoteSwarm((room) => this.membersOf(room));
    this.stopListening = store.onEvent((event) => {
      if (event.type === 'swarm' && event.node !== store.node)
        this.heard(event.room, event.node, event.members);
    });
    this.timer = setInterval(() => this.share(), shareMs);
    this.timer.unref();
  }

  /** The other nodes' members of a room, those still present. */
  membersOf(room: string): readonly SwarmMember[] {
    const now = Date.now();
    const cached = this.flat.get(room);
    if (cached && cached.until >= now) return cached.members;
    const nodes = this.remote.get(room);
    if (!nodes) return [];
    const members: SwarmMember[] = [];
    let until = Infinity;
    for (const [node, entry] of nodes) {
      if (entry.until < now) nodes.delete(node);
      else {
        members.push(...entry.members);
        until = Math.min(until, entry.until);
      }
    }
    if (nodes.size === 0) {
      this.remote.delete(room);
      this.flat.delete(room);
    } else this.flat.set(room, { members, until });
    return members;
  }

  /** Tells the others this node's members of each room it has (or just had) members in. */
  private share(): void {
    const now = new Set<string>();
    for (const room of this.rooms.localRoomNames()) {
      const members = sample(this.rooms.localSwarmOf(room), MAX_SHARED_SWARM_MEMBERS);
      if (members.length === 0) continue;
      now.add(room);
      this.store.tell({ type: 'swarm', room, node: this.store.node, members });
    }
    for (const room of this.told) {
      if (!now.has(room)) this.store.tell({ type: 'swarm', room, node: this.store.node, members: [] });
    }
    this.told = now;
  }

  private heard(room: string, node: string, members: readonly SwarmMember[]): void {
    let nodes = this.remote.get(room);
    if (members.length === 0) nodes?.delete(node);
    else {
      if (!nodes) {
        nodes = new Map();
        this.remote.set(room, nodes);
      }
      nodes.set(node, { members, until: Date.now() + this.shareMs * SWARM_PRESENCE_PERIODS });
    }
    this.flat.delete(room);
  }

  /** Stops telling (this node's members expire in the others). */
  close(): void {
    clearInterval(this.timer);
    this.stopListening();
  }
}

/** At most `max` of `list`, drawn at random (the list itself when it is short enough). */
function sample<T>(list: T[], max: number): T[] {
  if (list.length <= max) return list;
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(Math.random() * (list.length - i));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list.slice(0, max);
}
