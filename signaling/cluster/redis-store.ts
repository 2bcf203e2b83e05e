/**
 * The relay's {@link RoomStore} shared by several nodes through Redis (`patchcast serve --redis`).
 *
 * Redis holds the truth (layout in keys.ts); each node keeps a copy of the rooms and releases in
 * memory, which is what the relay reads. Writes go to Redis first, through Lua scripts that refuse
 * a write another node got in first ({@link StoreConflict}); the copy follows. Other nodes learn of a
 * write through the events channel, read what changed and tell the relay, which announces new
 * releases to its connections: that loop, with its seq poll that catches up whatever pub/sub lost,
 * is cluster-sync.ts; the copy itself is node-copy.ts.
 */
import { KeyedQueue } from '../relay/keyed-queue.ts';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ErrorCode, type SignedRelease, type Slot, type TextureMime } from '../../protocol/index.ts';
import type { RoomRecord } from '../store/room-files.ts';
import {
  StoreConflict,
  type ExternalReleaseListener,
  type RoomStore,
  type SharedExpectation,
} from '../store/room-store.ts';
import { type DataDirReport, type StoredRoom, type StoreLog } from '../store/store.ts';
import { NO_STATS, timed, type ClusterStats } from './cluster-stats.ts';
import { ClusterSync, stringsOf } from './cluster-sync.ts';
import {
  DEFAULT_REDIS_PREFIX,
  parseExpectation,
  redisKeys,
  REDIS_UNPUBLISHED_BLOB_TTL_S,
  type ClusterEvent,
  type RedisKeys,
} from './keys.ts';
import { NodeCopy } from './node-copy.ts';
import { RedisBlobs } from './redis-blobs.ts';
import { COMMIT_RELEASE, SAVE_ROOM } from './scripts.ts';

/** How often a node compares its rooms' seqs with Redis by default (ms). */
export const DEFAULT_REDIS_POLL_MS = 1_000;

/**
 * How much sooner than Redis a node lets an unpublished blob expire in its copy (ms), so that it never
 * believes in a blob Redis has dropped.
 */
const BLOB_EXPIRY_MARGIN_MS = 60_000;

/** Longest a Redis command may take before it fails (ms): a publish errs rather than hangs. */
export const REDIS_COMMAND_TIMEOUT_MS = 5_000;

/** Options of {@link ClusterStore.open}. */
export interface ClusterStoreOptions {
  /** `redis://host:port` (`rediss://` for TLS; user and password in the URL). */
  readonly url: string;
  /** Key prefix (default {@link DEFAULT_REDIS_PREFIX}). */
  readonly prefix?: string;
  /** Bytes of blobs this node keeps in memory. */
  readonly cacheBytes?: number;
  /** How often rooms are compared with Redis (ms, default {@link DEFAULT_REDIS_POLL_MS}). */
  readonly pollMs?: number;
  readonly log?: StoreLog;
}

/** Redis did not answer when the node started: `serve` says so and exits. */
export class RedisUnreachable extends Error {
  override readonly name = 'RedisUnreachable';
  constructor(url: string, cause: unknown) {
    super(`cannot reach Redis at ${url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}: ${String(cause)}`, {
      cause,
    });
  }
}

/** Rooms, releases and blobs in Redis, shared by every node that opens the same Redis and prefix. */
export class ClusterStore implements RoomStore {
  /** This node's name in events (so it can skip its own). */
  readonly node = randomUUID();
  /** What this node holds of Redis: what the relay reads. */
  private readonly copy = new NodeCopy();
  /** Per room: the tail of its reads and writes, which never interleave on one node. */
  private readonly queue = new KeyedQueue();
  private readonly blobs: RedisBlobs;
  private readonly sync: ClusterSync;
  /** Where this node's part in the cluster is reported (its `/metrics`, once the server attaches them). */
  stats: ClusterStats = NO_STATS;

  private constructor(
    /** The command connection (other parts of the cluster write through it too). */
    readonly redis: Redis,
    private readonly sub: Redis,
    readonly keys: RedisKeys,
    options: ClusterStoreOptions,
    private readonly log: StoreLog,
  ) {
    this.blobs = new RedisBlobs(redis, keys, options.cacheBytes);
    this.sync = new ClusterSync({
      redis,
      sub,
      keys,
      node: this.node,
      copy: this.copy,
      queue: this.queue,
      log,
      stats: () => this.stats,
    });
  }

  /** Connects to Redis, loads every room and follows the other nodes' writes. */
  static async open(options: ClusterStoreOptions): Promise<ClusterStore> {
    const log = options.log ?? (() => {});
    const settings = {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt: number) => Math.min(50 * attempt, 500),
    } as const;
    const redis = new Redis(options.url, settings);
    // A subscriber connection runs nothing else; no command timeout (it waits for messages).
    const sub = new Redis(options.url, { ...settings, commandTimeout: undefined });
    // ioredis reports each failed reconnection here; the store logs outages itself.
    redis.on('error', () => {});
    sub.on('error', () => {});
    try {
      await Promise.all([redis.connect(), sub.connect()]);
    } catch (error) {
      redis.disconnect();
      sub.disconnect();
      throw new RedisUnreachable(options.url, error);
    }
    const store = new ClusterStore(
      redis,
      sub,
      redisKeys(options.prefix ?? DEFAULT_REDIS_PREFIX),
      options,
      log,
    );
    await store.sync.start(options.pollMs ?? DEFAULT_REDIS_POLL_MS);
    return store;
  }

  /** Listens to the events of other nodes that the store does not handle itself. */
  onEvent(listener: (event: ClusterEvent) => void): () => void {
    this.sync.eventListeners.add(listener);
    return () => this.sync.eventListeners.delete(listener);
  }

  /** Registers the relay's listener for releases other nodes accepted. */
  onExternalRelease(listener: ExternalReleaseListener): void {
    this.sync.listener = listener;
  }

  // ---- reads (this node's copy) ------------------------------------------------------------------

  rooms(): IterableIterator<StoredRoom> {
    return this.copy.roomsByName.values();
  }

  room(name: string): StoredRoom | undefined {
    return this.copy.roomsByName.get(name);
  }

  lastSeq(room: string): number {
    return this.copy.lastSeq(room);
  }

  quarantineReason(): string | undefined {
    return undefined;
  }

  damageOf(): string[] {
    return [];
  }

  report(): DataDirReport {
    return { quarantined: [], degraded: [] };
  }

  descriptor(room: string, sha256: string): Slot | undefined {
    return this.copy.blobs.descriptor(room, sha256);
  }

  mimeOf(sha256: string): TextureMime | undefined {
    return this.copy.blobs.mimeOf(sha256);
  }

  // ---- blobs -------------------------------------------------------------------------------------

  hasBlob(sha256: string): boolean {
    if (this.copy.blobs.names(sha256)) return true;
    const until = this.copy.unpublished.get(sha256);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.copy.unpublished.delete(sha256);
    return false;
  }

  readBlob(sha256: string): Promise<Uint8Array | null> {
    return this.blobs.read(sha256).catch((error: unknown) => {
      this.log(`redis: blob ${sha256} not read: ${String(error)}`);
      return null;
    });
  }

  async putBlob(sha256: string, bytes: Uint8Array): Promise<boolean> {
    const created = await this.blobs.put(sha256, bytes);
    const until = Date.now() + REDIS_UNPUBLISHED_BLOB_TTL_S * 1000 - BLOB_EXPIRY_MARGIN_MS;
    if (!this.copy.blobs.names(sha256)) {
      this.copy.unpublished.set(sha256, until);
      this.tell({ type: 'blob', sha256, until, node: this.node });
    }
    return created;
  }

  async confirmMissing(sha256s: readonly string[]): Promise<string[]> {
    const pipeline = this.redis.pipeline();
    for (const sha of sha256s) pipeline.pttl(this.keys.blob(sha));
    const answers = await timed(this.stats, 'confirm-missing', () => pipeline.exec()).catch(
      (error: unknown) => {
        this.log(`redis: blobs not looked up: ${String(error)}`);
        return null;
      },
    );
    if (!answers) return [...sha256s];
    const now = Date.now();
    return sha256s.filter((sha, i) => {
      const [error, ttl] = answers[i] ?? [null, -2];
      // -2: no such key; -1: no expiry (a release named it); else ms left, kept short by the margin.
      if (error || typeof ttl !== 'number' || ttl === -2) return true;
      const left = (ttl === -1 ? REDIS_UNPUBLISHED_BLOB_TTL_S * 1000 : ttl) - BLOB_EXPIRY_MARGIN_MS;
      if (left <= 0) return true;
      if (!this.copy.blobs.names(sha)) this.copy.unpublished.set(sha, now + left);
      return false;
    });
  }

  /** Redis expires uploads nobody published: nothing to pin. */
  pinBlobs(): () => void {
    return () => {};
  }

  /** Redis expires uploads nobody published (REDIS_UNPUBLISHED_BLOB_TTL_S): nothing to sweep. */
  async collectGarbage(): Promise<number> {
    return 0;
  }

  async shareExpectations(expected: readonly SharedExpectation[]): Promise<void> {
    const now = Date.now();
    const batch = this.redis.multi();
    for (const e of expected) {
      batch.set(this.keys.expectation(e.sha256), JSON.stringify(e), 'PX', Math.max(1, e.until - now));
    }
    // Not fatal: the uploads can still come through this node, and the event below may still go.
    await timed(this.stats, 'share-expectations', () => batch.exec()).catch((error: unknown) => {
      this.log(`redis: expected uploads not written: ${String(error)}`);
    });
    this.tell({ type: 'expect', node: this.node, uploads: [...expected] });
  }

  sharedPendingBytes(room: string, now: number, except: readonly string[]): number {
    const skip = new Set(except);
    let bytes = 0;
    for (const e of this.copy.expectations.values()) {
      if (e.room === room && e.until >= now && !skip.has(e.sha256)) bytes += e.size;
    }
    return bytes;
  }

  async lookUpExpectation(sha256: string, now: number): Promise<SharedExpectation | undefined> {
    const text = await timed(this.stats, 'look-up-expectation', () =>
      this.redis.get(this.keys.expectation(sha256)),
    ).catch((error: unknown) => {
      this.log(`redis: expected upload ${sha256} not read: ${String(error)}`);
      return null;
    });
    const expected = text === null ? null : parseExpectation(text);
    if (!expected || expected.sha256 !== sha256 || expected.until < now) return undefined;
    this.copy.expectations.set(sha256, expected);
    return expected;
  }

  sharedExpectation(sha256: string, now: number): SharedExpectation | undefined {
    const expected = this.copy.expectations.get(sha256);
    if (expected && expected.until < now) this.copy.expectations.delete(sha256);
    return expected && expected.until >= now ? expected : undefined;
  }

  // ---- writes ------------------------------------------------------------------------------------

  async saveRoom(state: StoredRoom): Promise<void> {
    await this.locked(state.room, async () => {
      const record: RoomRecord = {
        format: 1,
        room: state.room,
        createdAt: state.createdAt,
        keys: [...state.trusted.values()],
        rotations: state.rotations,
      };
      const k = this.keys;
      const read = this.copy.versions.get(state.room) ?? 0;
      const event: ClusterEvent = { type: 'room', room: state.room, node: this.node };
      const answer = await timed(this.stats, 'save-room', () =>
        this.redis.eval(
          SAVE_ROOM,
          3,
          k.room(state.room),
          k.roomVersion(state.room),
          k.rooms,
          read,
          JSON.stringify(record),
          k.events,
          JSON.stringify(event),
          state.room,
        ),
      );
      const [status, version] = stringsOf(answer);
      if (status !== 'ok') {
        void this.sync.syncRoom(state.room).catch(() => {});
        throw new StoreConflict(
          ErrorCode.STALE_SEQ,
          `room "${state.room}" was changed on another relay node meanwhile (version ${version}, this node read ${read}): try again`,
        );
      }
      this.stats.event('out', event.type);
      this.copy.versions.set(state.room, Number(version));
      const held = this.copy.roomsByName.get(state.room);
      // Keep the history this node holds (a rotation's new state shares it; a new room has none).
      this.copy.roomsByName.set(state.room, { ...state, history: held?.history ?? state.history });
    });
  }

  async saveRelease(signed: SignedRelease, blobsWritten?: Promise<unknown>): Promise<void> {
    await blobsWritten;
    const room = signed.release.room;
    await this.locked(room, async () => {
      const k = this.keys;
      const seq = signed.release.seq;
      const shas = [...new Set(Object.values(signed.release.slots).map((slot) => slot.sha256))];
      const event: ClusterEvent = { type: 'release', room, seq, node: this.node };
      const answer = stringsOf(
        await timed(this.stats, 'commit-release', () =>
          this.redis.eval(
            COMMIT_RELEASE,
            3,
            k.room(room),
            k.seq(room),
            k.releases(room),
            k.prefix,
            seq,
            JSON.stringify(signed),
            k.events,
            JSON.stringify(event),
            ...shas,
          ),
        ),
      );
      const [status, ...rest] = answer;
      if (status === 'stale') {
        void this.sync.syncRoom(room).catch(() => {});
        throw new StoreConflict(
          ErrorCode.STALE_SEQ,
          `seq ${seq} is not above ${rest[0]}: another relay node accepted seq ${rest[0]} in room "${room}" first; publish ${Number(rest[0]) + 1} or above`,
        );
      }
      if (status === 'missing') {
        const missing = rest.filter((sha): sha is string => sha !== null);
        for (const sha of missing) this.copy.unpublished.delete(sha);
        throw new StoreConflict(
          ErrorCode.BLOB_MISSING,
          `the relay lacks ${missing.length} blob(s) the release names`,
          missing,
        );
      }
      if (status !== 'ok') throw new Error(`room "${room}" is not in Redis`);
      this.stats.event('out', event.type);
      // Releases other nodes accepted between this node's latest and this one come first, in order.
      await this.sync.pullReleases(room, seq);
      this.copy.append(room, signed);
      this.copy.lastSeqs.set(room, Math.max(seq, this.copy.lastSeqs.get(room) ?? 0));
    });
  }

  // ---- following the other nodes -----------------------------------------------------------------

  /** Tells every node (or only `node`) about something. */
  tell(event: ClusterEvent, node?: string): void {
    const channel = node === undefined ? this.keys.events : this.keys.node(node);
    this.stats.event('out', event.type);
    this.redis.publish(channel, JSON.stringify(event)).catch((error: unknown) => {
      this.log(`redis: event not published (${event.type}): ${String(error)}`);
    });
  }

  /** Compares every room with Redis and reads the ones that changed. */
  syncAll(): Promise<void> {
    return this.sync.syncAll('poll');
  }

  /** Runs `task` after every earlier one of the same room on this node. */
  private locked<T>(room: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(room, task);
  }

  /** Bytes of blobs in this node's cache (for `/metrics`). */
  get cacheBytes(): number {
    return this.blobs.cacheBytes;
  }

  /** True while this node is connected to Redis. */
  get isConnected(): boolean {
    return this.sync.isConnected;
  }

  async close(): Promise<void> {
    this.sync.close();
    this.sub.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
