/**
 * Who is in which room, and the live roster each room's admins get: the whole roster on every change,
 * throttled — joins, leaves and acks within `intervalMs`, heartbeat-only changes at most once a
 * second — and always as one message that replaces any unsent older one.
 */
import { MessageType, type Roster, type RosterClient } from '../../protocol/index.ts';
import type { Conn } from './conn.ts';
import { payloadOf } from './payloads.ts';
import { PeerIds } from './peer-ids.ts';
import { uniqueClientId } from './roster.ts';

/** How much a change matters to an admin watching the roster. */
export type RosterChange = 'soft' | 'hard';

interface Room {
  /** Connections by client id. */
  readonly members: Map<string, Conn>;
  readonly admins: Set<Conn>;
  /** Swarm members (connections that gave a PeerJS id), in no particular order. */
  readonly swarm: Conn[];
  /** Where each swarm member is in `swarm` (removal by swapping with the last). */
  readonly swarmAt: Map<Conn, number>;
  pending: 'none' | RosterChange;
  timer: ReturnType<typeof setTimeout> | undefined;
  timerDue: number;
  lastSent: number;
}

const now = () => performance.now();

/** How many members a peer sample draws per place it fills (some are skipped: unlisted, same address). */
export const SAMPLE_DRAWS_PER_PEER = 4;

/** Least time between two rosters sent for heartbeat-only changes (the "last seen" column). */
export const SOFT_ROSTER_INTERVAL_MS = 1_000;

/** A swarm member that may be suggested: its PeerJS id and the address it registered from. */
export interface SwarmMember {
  readonly peerId: string;
  readonly address: string;
}

/** Members drawn at random from a pool of `pool` (some skipped: unlisted, or the asker). */
interface Draws {
  readonly draws: readonly SwarmMember[];
  readonly pool: number;
}

/**
 * Two lists of draws as one, in random order, each next draw taken from one list with the chance of
 * its pool's share of both: a node's own members and the cluster's others are suggested in
 * proportion to their numbers.
 */
function mixDraws(a: Draws, b: Draws, random: () => number): SwarmMember[] {
  const out: SwarmMember[] = [];
  let i = 0;
  let j = 0;
  while (i < a.draws.length || j < b.draws.length) {
    const takeA = j >= b.draws.length || (i < a.draws.length && random() * (a.pool + b.pool) < a.pool);
    out.push(takeA ? a.draws[i++]! : b.draws[j++]!);
  }
  return out;
}

/** The rooms of one hub. */
export class Rooms {
  private readonly rooms = new Map<string, Room>();
  /** In a cluster: the clients of a room that other nodes hold (`signaling/cluster/roster-share.ts`). */
  private remote: ((room: string) => readonly RosterClient[]) | null = null;
  /** In a cluster: the swarm members of a room that other nodes hold and may suggest. */
  private remoteSwarm: ((room: string) => readonly SwarmMember[]) | null = null;
  /** In a cluster: told of every join and leave here (the roster is shared soon after). */
  onMembership: (() => void) | null = null;

  constructor(
    /** The seq of a room's latest release (0 for none). */
    private readonly seqOf: (room: string) => number,
    private readonly intervalMs: number,
    /** Which PeerJS ids may be suggested. */
    readonly peerIds = new PeerIds(),
  ) {}

  private ensure(name: string): Room {
    let room = this.rooms.get(name);
    if (!room) {
      room = {
        members: new Map(),
        admins: new Set(),
        swarm: [],
        swarmAt: new Map(),
        pending: 'none',
        timer: undefined,
        timerDue: 0,
        lastSent: -Infinity,
      };
      this.rooms.set(name, room);
    }
    return room;
  }

  /** A client id for `requested` that no live connection of the room uses. */
  freeId(room: string, requested: string): string {
    return uniqueClientId(requested, (id) => this.has(room, id));
  }

  /** True if a live connection of the room has this client id. */
  has(room: string, clientId: string): boolean {
    return this.rooms.get(room)?.members.has(clientId) ?? false;
  }

  /** Adds a connection (its roster entry must be set). */
  join(conn: Conn): void {
    const entry = conn.entry;
    if (!entry) throw new Error('join before hello');
    const room = this.ensure(entry.room);
    room.members.set(entry.clientId, conn);
    if (conn.peerId !== undefined && !room.swarmAt.has(conn)) {
      room.swarmAt.set(conn, room.swarm.length);
      room.swarm.push(conn);
    }
    this.touch(entry.room, 'hard');
    this.onMembership?.();
  }

  /** Adds an admin that proved a room key: it gets the room's roster from now on. */
  admit(conn: Conn): void {
    const entry = conn.entry;
    if (!entry) throw new Error('admit before hello');
    this.ensure(entry.room).admins.add(conn);
  }

  /** Removes a connection. */
  leave(conn: Conn): void {
    this.peerIds.release(conn);
    const entry = conn.entry;
    const room = entry ? this.rooms.get(entry.room) : undefined;
    if (!entry || !room) return;
    if (room.members.get(entry.clientId) === conn) room.members.delete(entry.clientId);
    room.admins.delete(conn);
    const at = room.swarmAt.get(conn);
    if (at !== undefined) {
      const last = room.swarm.pop()!;
      room.swarmAt.delete(conn);
      if (last !== conn) {
        room.swarm[at] = last;
        room.swarmAt.set(last, at);
      }
    }
    this.touch(entry.room, 'hard');
    this.onMembership?.();
    this.forgetIfEmpty(entry.room);
  }

  /** The live connections of a room. */
  members(room: string): IterableIterator<Conn> {
    return (this.rooms.get(room)?.members ?? new Map<string, Conn>()).values();
  }

  /**
   * PeerJS ids of up to `max` swarm members of a room other than `self`: a random sample drawn by a
   * partial Fisher–Yates shuffle of the room's member list, in place (its order means nothing), so a
   * sample costs O(max) whatever the size of the room. Only members whose id the relay saw register
   * from their own address ({@link PeerIds.listable}) are suggested, one per address first: an address
   * with many ids gets more places only when no other address is left among those drawn. In a cluster
   * the other nodes' listable members ({@link followRemoteSwarm}) are drawn too, in proportion to
   * their number: a player is offered peers whatever node they are connected to.
   */
  samplePeers(name: string, self: Conn, max: number, random: () => number = Math.random): string[] {
    const local = this.drawLocal(name, self, max, random);
    const remote = this.drawRemote(name, self, max, random);
    const drawn = remote.draws.length === 0 ? local.draws : mixDraws(local, remote, random);
    const out: string[] = [];
    const spare: string[] = [];
    const addresses = new Set<string>();
    for (const member of drawn) {
      if (out.length >= max) break;
      if (addresses.has(member.address)) spare.push(member.peerId);
      else {
        addresses.add(member.address);
        out.push(member.peerId);
      }
    }
    for (const id of spare) {
      if (out.length >= max) break;
      out.push(id);
    }
    return out;
  }

  /** Listable members of this node drawn at random (at most {@link SAMPLE_DRAWS_PER_PEER} × `max` draws). */
  private drawLocal(name: string, self: Conn, max: number, random: () => number): Draws {
    const room = this.rooms.get(name);
    if (!room) return { draws: [], pool: 0 };
    const { swarm, swarmAt } = room;
    const draws: SwarmMember[] = [];
    const n = Math.min(swarm.length, SAMPLE_DRAWS_PER_PEER * max);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(random() * (swarm.length - i));
      const picked = swarm[j]!;
      if (j !== i) {
        const displaced = swarm[i]!;
        swarm[i] = picked;
        swarm[j] = displaced;
        swarmAt.set(picked, i);
        swarmAt.set(displaced, j);
      }
      if (picked === self || picked.peerId === undefined || !this.peerIds.listable(picked)) continue;
      draws.push({ peerId: picked.peerId, address: picked.wire.address });
    }
    return { draws, pool: swarm.length };
  }

  /** The other nodes' listable members drawn at random, without repeats (a cluster only). */
  private drawRemote(name: string, self: Conn, max: number, random: () => number): Draws {
    const members = this.remoteSwarm?.(name) ?? [];
    if (members.length === 0) return { draws: [], pool: 0 };
    const draws: SwarmMember[] = [];
    const seen = new Set<number>();
    const n = Math.min(members.length, SAMPLE_DRAWS_PER_PEER * max);
    for (let tries = 0; seen.size < n && tries < 4 * n; tries++) {
      const j = Math.floor(random() * members.length);
      if (seen.has(j)) continue;
      seen.add(j);
      const member = members[j]!;
      if (member.peerId === self.peerId) continue;
      draws.push(member);
    }
    return { draws, pool: members.length };
  }

  /** This node's swarm members of a room that may be suggested (what a cluster shares with its other nodes). */
  localSwarmOf(name: string): SwarmMember[] {
    const room = this.rooms.get(name);
    if (!room) return [];
    return room.swarm.flatMap((conn) =>
      conn.peerId !== undefined && this.peerIds.listable(conn)
        ? [{ peerId: conn.peerId, address: conn.wire.address }]
        : [],
    );
  }

  /** In a cluster: where the other nodes' swarm members of a room come from (`signaling/cluster/swarm-share.ts`). */
  followRemoteSwarm(remote: (room: string) => readonly SwarmMember[]): void {
    this.remoteSwarm = remote;
  }

  /** Connected clients of a room (on every node, in a cluster). */
  clientCount(room: string): number {
    return (this.rooms.get(room)?.members.size ?? 0) + this.remoteOf(room).length;
  }

  /** The roster of a room: this node's clients, and in a cluster the other nodes' too. */
  rosterOf(room: string): Roster {
    const local = this.localRosterOf(room);
    const remote = this.remoteOf(room);
    return remote.length === 0 ? local : { ...local, clients: [...local.clients, ...remote] };
  }

  /** The roster of a room's clients connected to this node. */
  localRosterOf(room: string): Roster {
    const members = this.rooms.get(room)?.members;
    return {
      type: MessageType.roster,
      room,
      seq: this.seqOf(room),
      at: new Date().toISOString(),
      clients: members ? [...members.values()].flatMap((c) => (c.entry ? [c.entry.toJSON()] : [])) : [],
    };
  }

  /** Rooms with clients connected to this node. */
  localRoomNames(): string[] {
    return [...this.rooms].filter(([, room]) => room.members.size > 0).map(([name]) => name);
  }

  /** In a cluster: where the other nodes' clients of a room come from. */
  followRemote(remote: (room: string) => readonly RosterClient[]): void {
    this.remote = remote;
  }

  /** The other nodes' clients of a room, but for ids connected here (a client that just moved). */
  private remoteOf(room: string): readonly RosterClient[] {
    const remote = this.remote?.(room) ?? [];
    if (remote.length === 0) return remote;
    const members = this.rooms.get(room)?.members;
    return members ? remote.filter((c) => !members.has(c.clientId)) : remote;
  }

  /** Marks a room's roster changed; its admins hear of it soon. */
  touch(name: string, kind: RosterChange): void {
    const room = this.rooms.get(name);
    if (!room || room.admins.size === 0) return;
    if (kind === 'hard') room.pending = 'hard';
    else if (room.pending === 'none') room.pending = 'soft';
    const interval =
      room.pending === 'hard' ? this.intervalMs : Math.max(SOFT_ROSTER_INTERVAL_MS, this.intervalMs);
    const due = Math.max(now(), room.lastSent + interval);
    if (room.timer && room.timerDue <= due) return;
    clearTimeout(room.timer);
    room.timerDue = due;
    room.timer = setTimeout(() => this.flush(name), due - now());
    room.timer.unref();
  }

  private flush(name: string): void {
    const room = this.rooms.get(name);
    if (!room) return;
    room.timer = undefined;
    room.pending = 'none';
    room.lastSent = now();
    if (room.admins.size > 0) {
      const payload = payloadOf(this.rosterOf(name));
      for (const admin of room.admins)
        if (admin.state === 'open') admin.outbox.send(payload, { key: 'roster' });
    }
    this.forgetIfEmpty(name);
  }

  private forgetIfEmpty(name: string): void {
    const room = this.rooms.get(name);
    if (room && room.members.size === 0 && !room.timer) this.rooms.delete(name);
  }

  /** Stops the timers. */
  close(): void {
    for (const room of this.rooms.values()) clearTimeout(room.timer);
  }
}
