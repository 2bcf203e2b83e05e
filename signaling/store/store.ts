/**
 * The relay's data dir: rooms (trusted keys, rotation records), every signed release of every room,
 * and content-addressed blobs. Everything is written with {@link writeFileAtomic}, and in an order
 * that makes any crash harmless: a release's blobs are durable before the release file is written,
 * and a release exists exactly when its file does. So after a SIGKILL at any moment, a reload finds
 * either the old latest release or the new one, complete.
 *
 * Layout:
 *   blobs/<aa>/<sha256>              raw bytes
 *   rooms/<room>/room.json           { format, room, createdAt, keys, rotations }
 *   rooms/<room>/releases/<seq>.json a SignedRelease (seq zero-padded so names sort)
 */
import { mkdir, readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import {
  IsoTime,
  PublicKeyText,
  RoomName,
  SignedRotationSchema,
  parseSignedRelease,
  trustKeys,
  verifyReleaseSignature,
  type SignedRelease,
  type SignedRotation,
  type Slot,
  type TextureMime,
} from '../../protocol/index.ts';
import { ByteLru } from './lru.ts';
import { removeTempFiles, writeFileAtomic } from './atomic.ts';

/** What the relay keeps of one room: the keys it trusts, its rotation records and every release. */
export interface StoredRoom {
  readonly room: string;
  readonly createdAt: string;
  /** Key id → public key: every key the room trusts now. */
  trusted: Map<string, string>;
  /** Rotation records accepted, in order (players follow them with `extendTrust`). */
  rotations: SignedRotation[];
  /** Every release, ascending seq; the last one is the latest. */
  history: SignedRelease[];
}

/** The latest release of a room, or null. */
export function latestOf(room: StoredRoom | undefined): SignedRelease | null {
  return room?.history.at(-1) ?? null;
}

/** The release of a room with this seq, or null (the history is in ascending seq). */
export function releaseAt(room: StoredRoom | undefined, seq: number): SignedRelease | null {
  const history = room?.history ?? [];
  let lo = 0;
  let hi = history.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = history[mid]!;
    if (at.release.seq === seq) return at;
    if (at.release.seq < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return null;
}

const RoomRecordSchema = v.object({
  format: v.literal(1),
  room: RoomName,
  createdAt: IsoTime,
  keys: v.array(PublicKeyText),
  rotations: v.array(SignedRotationSchema),
});
type RoomRecord = v.InferOutput<typeof RoomRecordSchema>;

/** Something to tell the operator about (a skipped file, a cleaned temp file). */
export type StoreLog = (message: string) => void;

/** Options of {@link RelayStore.open}. */
export interface StoreOptions {
  /** Bytes of blobs kept in memory (default 256 MiB). */
  readonly cacheBytes?: number;
  readonly log?: StoreLog;
}

const SHA_RE = /^[0-9a-f]{64}$/;
const SEQ_FILE_RE = /^(\d{1,16})\.json$/;

function seqFileName(seq: number): string {
  return `${String(seq).padStart(12, '0')}.json`;
}

/** The data dir, loaded into memory at start (except blob bytes, which are read on demand). */
export class RelayStore {
  private readonly roomsByName = new Map<string, StoredRoom>();
  private readonly blobSet = new Set<string>();
  /**
   * The blob index, kept up to date as releases are saved and loaded. Per room: each blob a release
   * of it names → the slot of the newest such release (its chunking is how the blob is served there).
   */
  private readonly roomBlobs = new Map<string, Map<string, Slot>>();
  /** Every blob some release names. */
  private readonly named = new Set<string>();
  /** Blob → the mime of the texture slot that last named it. */
  private readonly textureMimes = new Map<string, TextureMime>();
  /** Blobs of publishes in flight (a count per blob): the garbage collector leaves them alone. */
  private readonly pins = new Map<string, number>();
  /** Blob files being removed by the garbage collector: a `putBlob` of one waits for it. */
  private readonly deleting = new Map<string, Promise<void>>();
  /** While a sweep runs: blobs `putBlob` was called with since it began (it must keep them). */
  private touchedDuringSweep: Set<string> | null = null;
  private sweep: Promise<number> | null = null;
  private readonly cache: ByteLru<string, Uint8Array>;
  private readonly log: StoreLog;

  private constructor(
    readonly dir: string,
    options: StoreOptions,
  ) {
    this.cache = new ByteLru(options.cacheBytes ?? 256 * 1024 * 1024, (b) => b.length);
    this.log = options.log ?? (() => {});
  }

  /** Opens (creating if needed) a data dir and loads it. */
  static async open(dir: string, options: StoreOptions = {}): Promise<RelayStore> {
    const store = new RelayStore(dir, options);
    await mkdir(join(dir, 'blobs'), { recursive: true });
    await mkdir(join(dir, 'rooms'), { recursive: true });
    await store.loadBlobs();
    await store.loadRooms();
    return store;
  }

  /** Every room. */
  rooms(): IterableIterator<StoredRoom> {
    return this.roomsByName.values();
  }

  /** One room, or undefined. */
  room(name: string): StoredRoom | undefined {
    return this.roomsByName.get(name);
  }

  /** True when the blob is stored. */
  hasBlob(sha256: string): boolean {
    return this.blobSet.has(sha256);
  }

  private blobPath(sha256: string): string {
    return join(this.dir, 'blobs', sha256.slice(0, 2), sha256);
  }

  /** A stored blob's bytes (from memory if cached), or null. */
  async readBlob(sha256: string): Promise<Uint8Array | null> {
    if (!this.blobSet.has(sha256)) return null;
    const cached = this.cache.get(sha256);
    if (cached) return cached;
    try {
      const bytes = new Uint8Array(await readFile(this.blobPath(sha256)));
      this.cache.set(sha256, bytes);
      return bytes;
    } catch {
      return null;
    }
  }

  /**
   * Stores a blob whose hash the caller has checked. Returns false when it was there already; its
   * file's mtime is then refreshed, so an upload sent again (answered "known") gets a new hour before
   * the garbage collector may remove it, like a new one.
   */
  async putBlob(sha256: string, bytes: Uint8Array): Promise<boolean> {
    if (!SHA_RE.test(sha256)) throw new TypeError(`not a sha256: ${sha256}`);
    this.touchedDuringSweep?.add(sha256);
    this.cache.set(sha256, bytes);
    const path = this.blobPath(sha256);
    if (this.blobSet.has(sha256)) {
      try {
        const t = new Date();
        await utimes(path, t, t);
        return false;
      } catch {
        // Its file is gone (removed by hand): write it again.
      }
    }
    // A sweep may be removing this very file: let it finish, or it could remove the new one.
    await this.deleting.get(sha256);
    await writeFileAtomic(path, bytes);
    this.blobSet.add(sha256);
    return true;
  }

  /**
   * Keeps blobs from the garbage collector until the returned function is called: a publish pins the
   * blobs its release names from the moment it has read the release until the release is saved.
   */
  pinBlobs(sha256s: Iterable<string>): () => void {
    const pinned = [...new Set(sha256s)];
    for (const sha of pinned) this.pins.set(sha, (this.pins.get(sha) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const sha of pinned) {
        const left = (this.pins.get(sha) ?? 1) - 1;
        if (left > 0) this.pins.set(sha, left);
        else this.pins.delete(sha);
      }
    };
  }

  /** True when a release names the blob or a publish in flight has pinned it. */
  private inUse(sha256: string): boolean {
    return this.named.has(sha256) || this.pins.has(sha256);
  }

  /** Creates a room or rewrites its keys and rotation records. */
  async saveRoom(state: StoredRoom): Promise<void> {
    const record: RoomRecord = {
      format: 1,
      room: state.room,
      createdAt: state.createdAt,
      keys: [...state.trusted.values()],
      rotations: state.rotations,
    };
    await writeFileAtomic(join(this.dir, 'rooms', state.room, 'room.json'), JSON.stringify(record, null, 2));
    this.roomsByName.set(state.room, state);
  }

  /**
   * Appends a release to its room (which must exist). Every blob it names must be stored already:
   * that ordering is what makes a crash between the two writes harmless.
   */
  async saveRelease(signed: SignedRelease): Promise<void> {
    const state = this.roomsByName.get(signed.release.room);
    if (!state) throw new Error(`no room ${signed.release.room}`);
    for (const slot of Object.values(signed.release.slots)) {
      if (!this.blobSet.has(slot.sha256)) throw new Error(`blob ${slot.sha256} is not stored`);
    }
    await writeFileAtomic(
      join(this.dir, 'rooms', state.room, 'releases', seqFileName(signed.release.seq)),
      JSON.stringify(signed),
    );
    this.append(state, signed);
  }

  /** Adds a release to a room's history and to the blob index (releases come in ascending seq). */
  private append(state: StoredRoom, signed: SignedRelease): void {
    state.history.push(signed);
    let blobs = this.roomBlobs.get(state.room);
    if (!blobs) {
      blobs = new Map();
      this.roomBlobs.set(state.room, blobs);
    }
    for (const slot of Object.values(signed.release.slots)) {
      blobs.set(slot.sha256, slot);
      this.named.add(slot.sha256);
      if (slot.kind === 'texture') this.textureMimes.set(slot.sha256, slot.mime);
    }
  }

  /** The slot of the newest release of `room` naming the blob (its size and chunking), if any. */
  descriptor(room: string, sha256: string): Slot | undefined {
    return this.roomBlobs.get(room)?.get(sha256);
  }

  /** The mime of a texture slot naming the blob, if any. */
  mimeOf(sha256: string): TextureMime | undefined {
    return this.textureMimes.get(sha256);
  }

  /** Every blob named by some release. */
  referencedBlobs(): Set<string> {
    return new Set(this.named);
  }

  /**
   * Deletes blobs that no release names and that are older than `minAgeMs` (uploads that were never
   * published). Returns how many went. Publishes go on meanwhile: a blob is checked again right
   * before it goes — named by a release, pinned by a publish in flight, or passed to `putBlob` since
   * the sweep began, it stays. One sweep at a time: a second call joins the running one.
   */
  collectGarbage(minAgeMs: number, now = Date.now()): Promise<number> {
    this.sweep ??= this.sweepNow(minAgeMs, now).finally(() => {
      this.sweep = null;
    });
    return this.sweep;
  }

  private async sweepNow(minAgeMs: number, now: number): Promise<number> {
    const touched = new Set<string>();
    this.touchedDuringSweep = touched;
    let removed = 0;
    try {
      for (const sha of [...this.blobSet]) {
        if (this.inUse(sha)) continue;
        const path = this.blobPath(sha);
        let exists = true;
        try {
          if (now - (await stat(path)).mtimeMs < minAgeMs) continue;
        } catch {
          exists = false; // gone already: forget it
        }
        // The await above let publishes and uploads run: check again, and decide without awaiting.
        if (this.inUse(sha) || touched.has(sha) || !this.blobSet.has(sha)) continue;
        this.blobSet.delete(sha);
        this.cache.delete(sha);
        removed++;
        if (!exists) continue;
        const gone = rm(path, { force: true }).catch(() => {});
        this.deleting.set(sha, gone);
        await gone;
        if (this.deleting.get(sha) === gone) this.deleting.delete(sha);
      }
    } finally {
      this.touchedDuringSweep = null;
    }
    return removed;
  }

  private async loadBlobs(): Promise<void> {
    const root = join(this.dir, 'blobs');
    for (const prefix of await readdir(root)) {
      const sub = join(root, prefix);
      const removed = await removeTempFiles(sub);
      if (removed) this.log(`removed ${removed} unfinished blob write(s) in ${sub}`);
      let names: string[];
      try {
        names = await readdir(sub);
      } catch {
        continue;
      }
      for (const name of names) if (SHA_RE.test(name) && name.startsWith(prefix)) this.blobSet.add(name);
    }
  }

  private async loadRooms(): Promise<void> {
    const root = join(this.dir, 'rooms');
    for (const name of await readdir(root)) {
      if (!v.is(RoomName, name)) continue;
      try {
        await this.loadRoom(join(root, name), name);
      } catch (error) {
        this.log(`room ${name} not loaded: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private async loadRoom(dir: string, name: string): Promise<void> {
    await removeTempFiles(dir);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(join(dir, 'room.json'), 'utf8'));
    } catch {
      // A room dir without a room record is the debris of a crash before the room was created.
      return;
    }
    const parsed = v.safeParse(RoomRecordSchema, json);
    if (!parsed.success || parsed.output.room !== name) throw new Error('room.json is malformed');
    const record = parsed.output;
    const state: StoredRoom = {
      room: name,
      createdAt: record.createdAt,
      trusted: await trustKeys(record.keys),
      rotations: record.rotations,
      history: [],
    };
    const releasesDir = join(dir, 'releases');
    await removeTempFiles(releasesDir);
    let files: string[] = [];
    try {
      files = await readdir(releasesDir);
    } catch {
      files = [];
    }
    const seqs = files
      .map((f) => SEQ_FILE_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ file: m[0], seq: Number(m[1]) }))
      .sort((a, b) => a.seq - b.seq);
    for (const { file, seq } of seqs) {
      const loaded = await this.loadRelease(join(releasesDir, file), state);
      if (!loaded.ok) {
        this.log(`room ${name}: release file ${file} skipped: ${loaded.why}`);
        continue;
      }
      if (loaded.signed.release.seq !== seq) {
        this.log(`room ${name}: release file ${file} skipped: it holds seq ${loaded.signed.release.seq}`);
        continue;
      }
      this.append(state, loaded.signed);
    }
    this.roomsByName.set(name, state);
  }

  private async loadRelease(
    path: string,
    state: StoredRoom,
  ): Promise<{ ok: true; signed: SignedRelease } | { ok: false; why: string }> {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      return { ok: false, why: error instanceof Error ? error.message : String(error) };
    }
    const parsed = parseSignedRelease(json);
    if (!parsed.ok) return { ok: false, why: parsed.message };
    const signed = parsed.value;
    if (signed.release.room !== state.room) return { ok: false, why: 'wrong room' };
    const key = state.trusted.get(signed.release.keyId);
    if (!key || !(await verifyReleaseSignature(signed, key))) return { ok: false, why: 'bad signature' };
    for (const slot of Object.values(signed.release.slots)) {
      if (!this.blobSet.has(slot.sha256)) return { ok: false, why: `blob ${slot.sha256} missing` };
    }
    return { ok: true, signed };
  }
}
