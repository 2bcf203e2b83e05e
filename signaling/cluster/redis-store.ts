/**
 * The relay's {@link RoomStore} shared by several nodes through Redis (`patchcast serve --redis`).
 *
 * Redis holds the truth (layout in keys.ts); each node keeps a copy of the rooms and releases in
 * memory, which is what the relay reads. Writes go to Redis first, through Lua scripts that refuse
 * a write another node got in first ({@link StoreConflict}); the copy follows. Other nodes learn of a
 * write through the events channel, read what changed and tell the relay, which announces new
 * releases to its connections. Pub/sub may lose messages (a node cut off from Redis for a while),
 * so a node also compares every room's seq with Redis every `pollMs` and after each reconnection:
 * a node that was away catches up from each room's latest seq by itself.
 */
import { KeyedQueue } from '../relay/keyed-queue.ts';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import * as v from 'valibot';
import {
  ErrorCode,
  parseSignedRelease,
  parseSignedRotation,
  trustKeys,
  type SignedRelease,
  type Slot,
  type TextureMime,
} from '../../protocol/index.ts';
import { RoomRecordSchema, type RoomRecord } from '../store/room-files.ts';
import {
  StoreConflict,
  type ExternalReleaseListener,
  type RoomStore,
  type SharedExpectation,
} from '../store/room-store.ts';
import { latestOf, type DataDirReport, type StoredRoom, type StoreLog } from '../store/store.ts';
import {
  DEFAULT_REDIS_PREFIX,
  parseClusterEvent,
  redisKeys,
  REDIS_UNPUBLISHED_BLOB_TTL_S,
  type ClusterEvent,
  type RedisKeys,
} from './keys.ts';
import { RedisBlobs } from './redis-blobs.ts';
import { COMMIT_RELEASE, SAVE_ROOM } from './scripts.ts';

/** How often a node compares its rooms' seqs with Redis by default (ms). */
export const DEFAULT_REDIS_POLL_MS = 1_000;

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
  private readonly roomsByName = new Map<string, StoredRoom>();
  /** Room → version of its record this node holds (see SAVE_ROOM). */
  private readonly versions = new Map<string, number>();
  private readonly lastSeqs = new Map<string, number>();
  /** Per room: each blob its releases name → the slot of the newest such release. */
  private readonly roomBlobs = new Map<string, Map<string, Slot>>();
  private readonly named = new Set<string>();
  private readonly textureMimes = new Map<string, TextureMime>();
  /** Blobs uploaded but not yet named by a release → when they expire (epoch ms). */
  private readonly unpublished = new Map<string, number>();
  private readonly expectations = new Map<string, SharedExpectation>();
  /** Per room: the tail of its reads and writes, which never interleave on one node. */
  private readonly queue = new KeyedQueue();
  private readonly blobs: RedisBlobs;
  private listener: ExternalReleaseListener | null = null;
  /** Listeners of the events other parts of the cluster handle (rosters, PeerJS messages). */
  private readonly eventListeners = new Set<(event: ClusterEvent) => void>();
  private poller: NodeJS.Timeout | null = null;
  private connected = true;
  private closed = false;

  private constructor(
    /** The command connection (other parts of the cluster write through it too). */
    readonly redis: Redis,
    private readonly sub: Redis,
    readonly keys: RedisKeys,
    options: ClusterStoreOptions,
    private readonly log: StoreLog,
  ) {
    this.blobs = new RedisBlobs(redis, keys, options.cacheBytes);
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
    sub.on('message', (_channel: string, text: string) => store.heard(text));
    await sub.subscribe(store.keys.events, store.keys.node(store.node));
    await store.syncAll();
    // After an outage: catch up with everything written meanwhile.
    sub.on('ready', () => void store.back());
    redis.on('close', () => store.lost());
    store.poller = setInterval(
      () => void store.syncAll().catch(() => {}),
      options.pollMs ?? DEFAULT_REDIS_POLL_MS,
    );
    store.poller.unref();
    return store;
  }

  /** Listens to the events of other nodes that the store does not handle itself. */
  onEvent(listener: (event: ClusterEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Registers the relay's listener for releases other nodes accepted. */
  onExternalRelease(listener: ExternalReleaseListener): void {
    this.listener = listener;
  }

  // ---- reads (this node's copy) ------------------------------------------------------------------

  rooms(): IterableIterator<StoredRoom> {
    return this.roomsByName.values();
  }

  room(name: string): StoredRoom | undefined {
    return this.roomsByName.get(name);
  }

  lastSeq(room: string): number {
    const latest = latestOf(this.roomsByName.get(room))?.release.seq ?? 0;
    return Math.max(latest, this.lastSeqs.get(room) ?? 0);
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
    return this.roomBlobs.get(room)?.get(sha256);
  }

  mimeOf(sha256: string): TextureMime | undefined {
    return this.textureMimes.get(sha256);
  }

  // ---- blobs -------------------------------------------------------------------------------------

  hasBlob(sha256: string): boolean {
    if (this.named.has(sha256)) return true;
    const until = this.unpublished.get(sha256);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.unpublished.delete(sha256);
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
    // A little short of Redis' expiry, so this node never believes in an expired blob.
    const until = Date.now() + (REDIS_UNPUBLISHED_BLOB_TTL_S - 60) * 1000;
    if (!this.named.has(sha256)) {
      this.unpublished.set(sha256, until);
      this.tell({ type: 'blob', sha256, until, node: this.node });
    }
    return created;
  }

  /** Redis expires uploads nobody published: nothing to pin. */
  pinBlobs(): () => void {
    return () => {};
  }

  /** Redis expires uploads nobody published (REDIS_UNPUBLISHED_BLOB_TTL_S): nothing to sweep. */
  async collectGarbage(): Promise<number> {
    return 0;
  }

  shareExpectations(expected: readonly SharedExpectation[]): void {
    this.tell({ type: 'expect', node: this.node, uploads: [...expected] });
  }

  sharedPendingBytes(room: string, now: number, except: readonly string[]): number {
    const skip = new Set(except);
    let bytes = 0;
    for (const e of this.expectations.values()) {
      if (e.room === room && e.until >= now && !skip.has(e.sha256)) bytes += e.size;
    }
    return bytes;
  }

  sharedExpectation(sha256: string, now: number): SharedExpectation | undefined {
    const expected = this.expectations.get(sha256);
    if (expected && expected.until < now) this.expectations.delete(sha256);
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
      const read = this.versions.get(state.room) ?? 0;
      const event: ClusterEvent = { type: 'room', room: state.room, node: this.node };
      const answer = await this.redis.eval(
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
      );
      const [status, version] = stringsOf(answer);
      if (status !== 'ok') {
        void this.syncRoom(state.room).catch(() => {});
        throw new StoreConflict(
          ErrorCode.STALE_SEQ,
          `room "${state.room}" was changed on another relay node meanwhile (version ${version}, this node read ${read}): try again`,
        );
      }
      this.versions.set(state.room, Number(version));
      const held = this.roomsByName.get(state.room);
      // Keep the history this node holds (a rotation's new state shares it; a new room has none).
      this.roomsByName.set(state.room, { ...state, history: held?.history ?? state.history });
    });
  }

  async saveRelease(signed: SignedRelease): Promise<void> {
    const room = signed.release.room;
    await this.locked(room, async () => {
      const k = this.keys;
      const seq = signed.release.seq;
      const shas = [...new Set(Object.values(signed.release.slots).map((slot) => slot.sha256))];
      const event: ClusterEvent = { type: 'release', room, seq, node: this.node };
      const answer = stringsOf(
        await this.redis.eval(
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
      );
      const [status, ...rest] = answer;
      if (status === 'stale') {
        void this.syncRoom(room).catch(() => {});
        throw new StoreConflict(
          ErrorCode.STALE_SEQ,
          `seq ${seq} is not above ${rest[0]}: another relay node accepted seq ${rest[0]} in room "${room}" first; publish ${Number(rest[0]) + 1} or above`,
        );
      }
      if (status === 'missing') {
        const missing = rest.filter((sha): sha is string => sha !== null);
        for (const sha of missing) this.unpublished.delete(sha);
        throw new StoreConflict(
          ErrorCode.BLOB_MISSING,
          `the relay lacks ${missing.length} blob(s) the release names`,
          missing,
        );
      }
      if (status !== 'ok') throw new Error(`room "${room}" is not in Redis`);
      // Releases other nodes accepted between this node's latest and this one come first, in order.
      await this.pullReleases(room, seq);
      this.append(room, signed);
      this.lastSeqs.set(room, Math.max(seq, this.lastSeqs.get(room) ?? 0));
    });
  }

  // ---- following the other nodes -----------------------------------------------------------------

  /** Tells every node (or only `node`) about something. */
  tell(event: ClusterEvent, node?: string): void {
    const channel = node === undefined ? this.keys.events : this.keys.node(node);
    this.redis.publish(channel, JSON.stringify(event)).catch((error: unknown) => {
      this.log(`redis: event not published (${event.type}): ${String(error)}`);
    });
  }

  private heard(text: string): void {
    const event = parseClusterEvent(text);
    if (!event) return this.log(`redis: unreadable event on ${this.keys.events} (ignored)`);
    if (event.node === this.node) return;
    switch (event.type) {
      case 'release':
      case 'room':
        void this.syncRoom(event.room).catch((error: unknown) =>
          this.log(`redis: room ${event.room} not read: ${String(error)}`),
        );
        return;
      case 'blob':
        if (!this.named.has(event.sha256)) this.unpublished.set(event.sha256, event.until);
        return;
      case 'expect':
        for (const upload of event.uploads) this.expectations.set(upload.sha256, upload);
        return;
      default:
        for (const listener of this.eventListeners) listener(event);
    }
  }

  private lost(): void {
    if (this.closed || !this.connected) return;
    this.connected = false;
    this.log('redis: connection lost; this node keeps serving what it has and catches up when Redis is back');
  }

  private async back(): Promise<void> {
    if (this.closed) return;
    if (!this.connected) this.log('redis: connected again; catching up');
    this.connected = true;
    await this.syncAll().catch((error: unknown) => this.log(`redis: catching up failed: ${String(error)}`));
  }

  /** Compares every room with Redis and reads the ones that changed. */
  async syncAll(): Promise<void> {
    const k = this.keys;
    const names = (await this.redis.smembers(k.rooms)).filter((n) => v.is(RoomRecordSchema.entries.room, n));
    if (names.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const name of names) pipeline.mget(k.roomVersion(name), k.seq(name));
    const results = (await pipeline.exec()) ?? [];
    await Promise.all(
      names.map((name, i) => {
        const [error, value] = results[i] ?? [new Error('no answer')];
        const [version, seq] = error ? [null, null] : stringsOf(value);
        const changed =
          Number(version ?? 0) !== (this.versions.get(name) ?? 0) || Number(seq ?? 0) > this.lastSeq(name);
        return changed ? this.syncRoom(name) : Promise.resolve();
      }),
    );
  }

  private syncRoom(room: string): Promise<void> {
    return this.locked(room, () => this.syncRoomNow(room));
  }

  /** Reads a room's record (when it changed) and its releases above this node's latest. */
  private async syncRoomNow(room: string): Promise<void> {
    const k = this.keys;
    const [recordText, versionText, seqText] = await this.redis.mget(
      k.room(room),
      k.roomVersion(room),
      k.seq(room),
    );
    if (recordText === null || recordText === undefined) return;
    const version = Number(versionText ?? 0);
    if (version !== (this.versions.get(room) ?? 0) || !this.roomsByName.has(room)) {
      const parsed = v.safeParse(RoomRecordSchema, safeJson(recordText));
      if (!parsed.success || parsed.output.room !== room) {
        this.log(`redis: record of room ${room} is unreadable (ignored)`);
        return;
      }
      const held = this.roomsByName.get(room);
      this.roomsByName.set(room, {
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
      this.versions.set(room, version);
    }
    const seq = Number(seqText ?? 0);
    if (seq > this.lastSeq(room)) await this.pullReleases(room, Infinity);
    this.lastSeqs.set(room, Math.max(seq, this.lastSeqs.get(room) ?? 0));
  }

  /** Reads the room's releases above this node's latest and below `below`, and tells the relay. */
  private async pullReleases(room: string, below: number): Promise<void> {
    const from = latestOf(this.roomsByName.get(room))?.release.seq ?? 0;
    const texts = await this.redis.zrangebyscore(
      this.keys.releases(room),
      `(${from}`,
      below === Infinity ? '+inf' : `(${below}`,
    );
    for (const text of texts) {
      const parsed = parseSignedRelease(safeJson(text));
      if (!parsed.ok || parsed.value.release.room !== room) {
        this.log(`redis: a release of room ${room} is unreadable (skipped)`);
        continue;
      }
      const previous = latestOf(this.roomsByName.get(room));
      if (!this.append(room, parsed.value)) continue;
      this.listener?.(parsed.value, previous);
    }
  }

  /** Adds a release to this node's copy (in ascending seq; false when it has it already). */
  private append(room: string, signed: SignedRelease): boolean {
    const state = this.roomsByName.get(room);
    if (!state) return false;
    if ((latestOf(state)?.release.seq ?? 0) >= signed.release.seq) return false;
    state.history.push(signed);
    let blobs = this.roomBlobs.get(room);
    if (!blobs) {
      blobs = new Map();
      this.roomBlobs.set(room, blobs);
    }
    for (const slot of Object.values(signed.release.slots)) {
      blobs.set(slot.sha256, slot);
      this.named.add(slot.sha256);
      this.unpublished.delete(slot.sha256);
      this.expectations.delete(slot.sha256);
      if (slot.kind === 'texture') this.textureMimes.set(slot.sha256, slot.mime);
    }
    return true;
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
    return this.connected;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    this.sub.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A script's or MGET's answer as strings (nil → null). */
function stringsOf(answer: unknown): (string | null)[] {
  if (!Array.isArray(answer)) return [];
  return answer.map((x: unknown) => (x === null ? null : String(x)));
}
