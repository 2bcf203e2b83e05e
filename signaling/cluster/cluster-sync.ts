/**
 * How a cluster node follows the others (split from redis-store.ts): it hears their events on the
 * cluster's channels and reads what changed; because pub/sub may lose messages (a node cut off from
 * Redis for a while), it also compares every room's seq with Redis every `pollMs` and after each
 * reconnection, so a node that was away catches up from each room's latest seq by itself. Every read
 * of a room runs in that room's queue, after the store's writes to it.
 */
import type { Redis } from 'ioredis';
import * as v from 'valibot';
import { parseSignedRelease, parseSignedRotation, trustKeys } from '../../protocol/index.ts';
import type { KeyedQueue } from '../relay/keyed-queue.ts';
import { RoomRecordSchema } from '../store/room-files.ts';
import type { ExternalReleaseListener } from '../store/room-store.ts';
import { latestOf, type StoreLog } from '../store/store.ts';
import { timed, type ClusterStats } from './cluster-stats.ts';
import { parseClusterEvent, type ClusterEvent, type RedisKeys } from './keys.ts';
import type { NodeCopy } from './node-copy.ts';

/** What the sync loop works with: the store's connections, keys, copy and queue. */
export interface SyncParts {
  readonly redis: Redis;
  readonly sub: Redis;
  readonly keys: RedisKeys;
  readonly node: string;
  readonly copy: NodeCopy;
  readonly queue: KeyedQueue;
  readonly log: StoreLog;
  /** Read at each report (the metrics are attached after the store opens). */
  readonly stats: () => ClusterStats;
}

/** Follows the other nodes' writes into a node's copy. */
export class ClusterSync {
  /** The relay's listener for releases other nodes accepted. */
  listener: ExternalReleaseListener | null = null;
  /** Listeners of the events other parts of the cluster handle (rosters, PeerJS messages). */
  readonly eventListeners = new Set<(event: ClusterEvent) => void>();
  private poller: NodeJS.Timeout | null = null;
  private connected = true;
  private closed = false;

  constructor(private readonly parts: SyncParts) {}

  /** Subscribes, reads everything once, then follows: events, reconnections and the seq poll. */
  async start(pollMs: number): Promise<void> {
    const { redis, sub, keys, node } = this.parts;
    sub.on('message', (_channel: string, text: string) => this.heard(text));
    await sub.subscribe(keys.events, keys.node(node));
    await this.syncAll('start');
    // After an outage: catch up with everything written meanwhile.
    sub.on('ready', () => void this.back());
    redis.on('close', () => this.lost());
    this.poller = setInterval(() => void this.syncAll('poll').catch(() => {}), pollMs);
    this.poller.unref();
  }

  /** True while the node is connected to Redis. */
  get isConnected(): boolean {
    return this.connected;
  }

  private heard(text: string): void {
    const { copy, keys, log, node } = this.parts;
    const event = parseClusterEvent(text);
    if (!event) return log(`redis: unreadable event on ${keys.events} (ignored)`);
    if (event.node === node) return;
    this.parts.stats().event('in', event.type);
    switch (event.type) {
      case 'release':
      case 'room':
        void this.syncRoom(event.room).catch((error: unknown) =>
          log(`redis: room ${event.room} not read: ${String(error)}`),
        );
        return;
      case 'blob':
        if (!copy.blobs.names(event.sha256)) copy.unpublished.set(event.sha256, event.until);
        return;
      case 'expect':
        for (const upload of event.uploads) copy.expectations.set(upload.sha256, upload);
        return;
      default:
        for (const listener of this.eventListeners) listener(event);
    }
  }

  private lost(): void {
    if (this.closed || !this.connected) return;
    this.connected = false;
    this.parts.stats().connected(false);
    this.parts.log(
      'redis: connection lost; this node keeps serving what it has and catches up when Redis is back',
    );
  }

  private async back(): Promise<void> {
    if (this.closed) return;
    if (!this.connected) {
      this.parts.log('redis: connected again; catching up');
      this.parts.stats().connected(true);
    }
    this.connected = true;
    await this.syncAll('reconnect').catch((error: unknown) =>
      this.parts.log(`redis: catching up failed: ${String(error)}`),
    );
  }

  /** Compares every room with Redis and reads the ones that changed. */
  async syncAll(why: 'start' | 'poll' | 'reconnect' = 'poll'): Promise<void> {
    const { redis, keys, copy } = this.parts;
    const stats = this.parts.stats();
    const names = (await timed(stats, 'poll', () => redis.smembers(keys.rooms))).filter((n) =>
      v.is(RoomRecordSchema.entries.room, n),
    );
    if (names.length === 0) return;
    const pipeline = redis.pipeline();
    for (const name of names) pipeline.mget(keys.roomVersion(name), keys.seq(name));
    const results = (await pipeline.exec()) ?? [];
    await Promise.all(
      names.map((name, i) => {
        const [error, value] = results[i] ?? [new Error('no answer')];
        const [version, seq] = error ? [null, null] : stringsOf(value);
        const behind = Number(seq ?? 0) > copy.lastSeq(name);
        if (behind && why !== 'start') stats.catchUp();
        const changed = Number(version ?? 0) !== (copy.versions.get(name) ?? 0) || behind;
        return changed ? this.syncRoom(name) : Promise.resolve();
      }),
    );
  }

  /** Reads a room again, after the room's earlier reads and writes. */
  syncRoom(room: string): Promise<void> {
    return this.parts.queue.run(room, () => this.syncRoomNow(room));
  }

  /** Reads a room's record (when it changed) and its releases above this node's latest. */
  private async syncRoomNow(room: string): Promise<void> {
    const { redis, keys: k, copy, log } = this.parts;
    const [recordText, versionText, seqText] = await redis.mget(
      k.room(room),
      k.roomVersion(room),
      k.seq(room),
    );
    if (recordText === null || recordText === undefined) return;
    const version = Number(versionText ?? 0);
    if (version !== (copy.versions.get(room) ?? 0) || !copy.roomsByName.has(room)) {
      const parsed = v.safeParse(RoomRecordSchema, safeJson(recordText));
      if (!parsed.success || parsed.output.room !== room) {
        log(`redis: record of room ${room} is unreadable (ignored)`);
        return;
      }
      const held = copy.roomsByName.get(room);
      copy.roomsByName.set(room, {
        room,
        createdAt: parsed.output.createdAt,
        trusted: await trustKeys(parsed.output.keys),
        // (Key set records only: records of the old, unversioned format are not part of a chain.)
        rotations: parsed.output.rotations.flatMap((r) => {
          const record = parseSignedRotation(r);
          return record.ok ? [record.value] : [];
        }),
        history: held?.history ?? [],
      });
      copy.versions.set(room, version);
    }
    const seq = Number(seqText ?? 0);
    if (seq > copy.lastSeq(room)) await this.pullReleases(room, Infinity);
    copy.lastSeqs.set(room, Math.max(seq, copy.lastSeqs.get(room) ?? 0));
  }

  /** Reads the room's releases above this node's latest and below `below`, and tells the relay. */
  async pullReleases(room: string, below: number): Promise<void> {
    const { redis, keys, copy, log } = this.parts;
    const from = latestOf(copy.roomsByName.get(room))?.release.seq ?? 0;
    const texts = await redis.zrangebyscore(
      keys.releases(room),
      `(${from}`,
      below === Infinity ? '+inf' : `(${below}`,
    );
    for (const text of texts) {
      const parsed = parseSignedRelease(safeJson(text));
      if (!parsed.ok || parsed.value.release.room !== room) {
        log(`redis: a release of room ${room} is unreadable (skipped)`);
        continue;
      }
      const previous = latestOf(copy.roomsByName.get(room));
      if (!copy.append(room, parsed.value)) continue;
      this.listener?.(parsed.value, previous);
    }
  }

  /** Stops following (the store closes the connections). */
  close(): void {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
  }
}

/** JSON.parse, or undefined for anything that is not JSON. */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A script's or MGET's answer as strings (nil → null). */
export function stringsOf(answer: unknown): (string | null)[] {
  if (!Array.isArray(answer)) return [];
  return answer.map((x: unknown) => (x === null ? null : String(x)));
}
