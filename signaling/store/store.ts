/**
 * The relay's data dir: rooms (trusted keys, rotation records), every signed release of every room,
 * and content-addressed blobs. Everything is written with {@link writeFileAtomic}, and in an order
 * that makes any crash harmless: a release's blobs are durable before the release file is written,
 * and a release exists exactly when its file does. So after a SIGKILL at any moment, a reload finds
 * either the old latest release or the new one, complete.
 *
 * Damage it did not cause (a torn or unreadable file, a lost blob) fails loudly, never silently: a
 * room whose record is damaged is quarantined (reported, not loaded, and never created again over
 * its files); a room missing a blob or a release file is degraded (reported; it keeps its newest
 * release, never silently rolls back to an older one); and every room remembers the highest seq it
 * ever accepted (`last-seq.json`), so a lost release never lets a publisher reuse its seq.
 *
 * This file keeps the rooms and their releases; the blobs are `blob-files.ts`'s, the index of which
 * releases name which blobs `blob-index.ts`'s, and reading the data dir at start `load.ts`'s.
 *
 * Layout:
 *   blobs/<aa>/<sha256>              raw bytes (blob-files.ts)
 *   rooms/<room>/…                   see room-files.ts
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { SignedRelease, SignedRotation, Slot, TextureMime } from '../../protocol/index.ts';
import { stageFile, writeFileAtomic, type StagedFile } from './atomic.ts';
import { BlobFiles } from './blob-files.ts';
import { BlobIndex } from './blob-index.ts';
import { loadDataDir } from './load.ts';
import { roomFiles, seqFileName, type RoomRecord } from './room-files.ts';
import type { ArrivingBlob, RoomStore } from './room-store.ts';

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

/** Something to tell the operator about (a skipped file, a cleaned temp file). */
export type StoreLog = (message: string) => void;

/** Options of {@link RelayStore.open}. */
export interface StoreOptions {
  /** Bytes of blobs kept in memory (default 256 MiB). */
  readonly cacheBytes?: number;
  readonly log?: StoreLog;
}

/** What is wrong with the data dir: rooms not loaded, and rooms loaded with something missing. */
export interface DataDirReport {
  readonly quarantined: readonly { readonly room: string; readonly reason: string }[];
  readonly degraded: readonly { readonly room: string; readonly reasons: readonly string[] }[];
}

/** The data dir, loaded into memory at start (except blob bytes, which are read on demand). */
export class RelayStore implements RoomStore {
  private readonly roomsByName = new Map<string, StoredRoom>();
  /** Which blobs the releases name, kept up to date as releases are saved and loaded. */
  private readonly index = new BlobIndex();
  private readonly blobs: BlobFiles;
  /** Rooms whose record is damaged: room → why. Not loaded; nothing may create them again. */
  private readonly quarantine = new Map<string, string>();
  /** The highest seq each room ever accepted, as last recorded on disk or accepted since. */
  private readonly lastSeqs = new Map<string, number>();
  /** Last-seq records being written: room → the seq to write and the write's end. */
  private readonly lastSeqWrites = new Map<string, { seq: number; done: Promise<void> }>();
  /** Damage found at load (unreadable release files, …), until the room's next release. */
  private readonly loadDamage = new Map<string, string[]>();
  private readonly log: StoreLog;

  private constructor(
    readonly dir: string,
    options: StoreOptions,
  ) {
    this.log = options.log ?? (() => {});
    this.blobs = new BlobFiles(dir, options.cacheBytes ?? 256 * 1024 * 1024, this.index, this.log);
  }

  /** Opens (creating if needed) a data dir and loads it. */
  static async open(dir: string, options: StoreOptions = {}): Promise<RelayStore> {
    const store = new RelayStore(dir, options);
    const loaded = await loadDataDir(dir, store.log);
    for (const sha of loaded.blobs) store.blobs.found(sha);
    for (const [room, reason] of loaded.quarantined) store.quarantine.set(room, reason);
    for (const { state, releases, lastSeq, damage } of loaded.rooms) {
      store.roomsByName.set(state.room, state);
      for (const signed of releases) store.append(state, signed);
      store.lastSeqs.set(state.room, lastSeq);
      if (damage.length > 0) store.loadDamage.set(state.room, [...damage]);
      const reasons = store.damageOf(state.room);
      if (reasons.length > 0) store.log(`room ${state.room} DEGRADED: ${reasons.join('; ')}`);
    }
    return store;
  }

  /** Why a room is quarantined, or undefined when it is not. */
  quarantineReason(room: string): string | undefined {
    return this.quarantine.get(room);
  }

  /**
   * The highest seq the room ever accepted: its latest release's, or higher when that release's file
   * was lost. A publisher must go above it (players that saw it refuse anything else as STALE_SEQ).
   */
  lastSeq(room: string): number {
    const latest = latestOf(this.roomsByName.get(room))?.release.seq ?? 0;
    return Math.max(latest, this.lastSeqs.get(room) ?? 0);
  }

  /** What is wrong with a loaded room now (empty when nothing is): missing blobs, lost releases. */
  damageOf(room: string): string[] {
    const state = this.roomsByName.get(room);
    if (!state) return [];
    const reasons = [...(this.loadDamage.get(room) ?? [])];
    const latest = latestOf(state);
    const last = this.lastSeq(room);
    if (last > (latest?.release.seq ?? 0)) {
      reasons.push(
        `release seq ${last} was accepted but its file is lost; the newest intact release is ${latest ? `seq ${latest.release.seq}` : 'none'}`,
      );
    }
    for (const [name, slot] of Object.entries(latest?.release.slots ?? {})) {
      if (!this.blobs.has(slot.sha256)) {
        reasons.push(`blob ${slot.sha256} of slot ${name} (seq ${latest?.release.seq}) is missing`);
      }
    }
    return reasons;
  }

  /** Every quarantined room and every degraded one, with the reasons. */
  report(): DataDirReport {
    const degraded: { room: string; reasons: string[] }[] = [];
    for (const room of this.roomsByName.keys()) {
      const reasons = this.damageOf(room);
      if (reasons.length > 0) degraded.push({ room, reasons });
    }
    return {
      quarantined: [...this.quarantine].map(([room, reason]) => ({ room, reason })),
      degraded,
    };
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
    return this.blobs.has(sha256);
  }

  /** A stored blob's bytes (from memory if cached), or null. */
  readBlob(sha256: string): Promise<Uint8Array | null> {
    return this.blobs.read(sha256);
  }

  /** Stores a blob whose hash the caller has checked (see `BlobFiles.put`); false when it was there. */
  putBlob(sha256: string, bytes: Uint8Array): Promise<boolean> {
    return this.blobs.put(sha256, bytes);
  }

  /** {@link putBlob} in two halves, written while the bytes arrive (see `BlobFiles.stage`). */
  stageBlob(sha256: string, bytes: Uint8Array): ArrivingBlob {
    return this.blobs.stage(sha256, bytes);
  }

  /**
   * Keeps blobs from the garbage collector until the returned function is called: a publish pins the
   * blobs its release names from the moment it has read the release until the release is saved.
   */
  pinBlobs(sha256s: Iterable<string>): () => void {
    return this.blobs.pin(sha256s);
  }

  /** Creates a room or rewrites its keys and rotation records (never over a quarantined room). */
  async saveRoom(state: StoredRoom): Promise<void> {
    const quarantined = this.quarantine.get(state.room);
    if (quarantined !== undefined) throw new Error(`room ${state.room} is quarantined: ${quarantined}`);
    const record: RoomRecord = {
      format: 1,
      room: state.room,
      createdAt: state.createdAt,
      keys: [...state.trusted.values()],
      rotations: state.rotations,
    };
    await writeFileAtomic(roomFiles(this.roomDir(state.room)).record, JSON.stringify(record, null, 2));
    this.roomsByName.set(state.room, state);
  }

  private roomDir(room: string): string {
    return join(this.dir, 'rooms', room);
  }

  /**
   * Appends a release to its room (which must exist). Every blob it names must be stored already:
   * that ordering is what makes a crash between the two writes harmless. With `blobsWritten` (the
   * writes of blobs that came with the release), the release file is written and fsynced under a
   * temp name beside them and put in place once they are done: one durable write on the publish's
   * path instead of two in a row. Resolves once the release file is durable; the room's last-seq
   * record follows it ({@link recordLastSeq}).
   */
  async saveRelease(signed: SignedRelease, blobsWritten?: Promise<unknown>): Promise<void> {
    const state = this.roomsByName.get(signed.release.room);
    if (!state) throw new Error(`no room ${signed.release.room}`);
    const files = roomFiles(this.roomDir(state.room));
    const staging = stageFile(join(files.releases, seqFileName(signed.release.seq)), JSON.stringify(signed));
    // Awaited after the blobs: a failure meanwhile is not an unhandled rejection.
    staging.catch(() => {});
    let staged: StagedFile;
    try {
      await blobsWritten;
      staged = await staging;
    } catch (error) {
      void staging.then(
        (file) => file.discard(),
        () => {},
      );
      throw error;
    }
    const lacking = Object.values(signed.release.slots).find((slot) => !this.blobs.has(slot.sha256));
    if (lacking) {
      await staged.discard();
      throw new Error(`blob ${lacking.sha256} is not stored`);
    }
    await staged.commit();
    this.append(state, signed);
    this.loadDamage.delete(state.room);
    if (signed.release.seq > (this.lastSeqs.get(state.room) ?? 0)) {
      this.lastSeqs.set(state.room, signed.release.seq);
      this.recordLastSeq(state.room, files.lastSeq, signed.release.seq);
    }
  }

  /**
   * Writes a room's last-seq record behind the release that raised it, not before the release is
   * answered and sent out: the release's own file is durable already, and its name tells the seq
   * if the process dies first (`load.ts` takes the higher of the two). One write per room at a time;
   * seqs raised meanwhile are written together, the highest, once it is done.
   */
  private recordLastSeq(room: string, path: string, seq: number): void {
    const writing = this.lastSeqWrites.get(room);
    if (writing) {
      writing.seq = seq;
      return;
    }
    const entry = { seq, done: Promise.resolve() };
    entry.done = (async () => {
      for (let written = 0; written < entry.seq;) {
        const next = entry.seq;
        try {
          await writeFileAtomic(path, JSON.stringify({ format: 1, seq: next }));
        } catch (error) {
          // The release is durable, and its file's name tells its seq: say so, and go on.
          this.log(`room ${room}: last-seq record not written: ${String(error)}`);
        }
        written = next;
      }
      this.lastSeqWrites.delete(room);
    })();
    this.lastSeqWrites.set(room, entry);
  }

  /** Waits for the last-seq records still being written (see {@link recordLastSeq}). */
  async close(): Promise<void> {
    while (this.lastSeqWrites.size > 0) {
      await Promise.all([...this.lastSeqWrites.values()].map((entry) => entry.done));
    }
  }

  /** Adds a release to a room's history and to the blob index (releases come in ascending seq). */
  private append(state: StoredRoom, signed: SignedRelease): void {
    state.history.push(signed);
    this.index.add(state.room, signed);
  }

  /** The slot of the newest release of `room` naming the blob (its size and chunking), if any. */
  descriptor(room: string, sha256: string): Slot | undefined {
    return this.index.descriptor(room, sha256);
  }

  /** The mime of a texture slot naming the blob, if any. */
  mimeOf(sha256: string): TextureMime | undefined {
    return this.index.mimeOf(sha256);
  }

  /**
   * Removes releases of a room from its history and the data dir (the pruning of old history:
   * `prune.ts`); the room's last seq stays. Blobs no kept release names are left to
   * {@link collectGarbage}. Never the latest release.
   */
  async forgetReleases(room: string, seqs: ReadonlySet<number>): Promise<number> {
    const state = this.roomsByName.get(room);
    if (!state || seqs.size === 0) return 0;
    const latest = state.history.at(-1)?.release.seq;
    const gone = state.history.filter((s) => seqs.has(s.release.seq) && s.release.seq !== latest);
    if (gone.length === 0) return 0;
    const dropped = new Set(gone.map((s) => s.release.seq));
    state.history = state.history.filter((s) => !dropped.has(s.release.seq));
    // Rebuild the blob index from what every room keeps.
    this.index.clear();
    for (const kept of this.roomsByName.values()) {
      const releases = kept.history;
      kept.history = [];
      for (const signed of releases) this.append(kept, signed);
    }
    const releasesDir = roomFiles(this.roomDir(room)).releases;
    for (const seq of dropped) await rm(join(releasesDir, seqFileName(seq)), { force: true });
    return dropped.size;
  }

  /** Every blob named by some release. */
  referencedBlobs(): Set<string> {
    return this.index.all();
  }

  /**
   * Deletes blobs that no release names and that are older than `minAgeMs` (uploads that were never
   * published); returns how many went. Publishes go on meanwhile (see `BlobFiles.collectGarbage`).
   */
  collectGarbage(minAgeMs: number, now = Date.now()): Promise<number> {
    return this.blobs.collectGarbage(minAgeMs, now);
  }
}
