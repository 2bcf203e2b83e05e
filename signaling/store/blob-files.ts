/**
 * The data dir's blobs: content-addressed files (`blobs/<aa>/<sha256>`, raw bytes), each written with
 * temp file + fsync + rename, read through a memory cache bounded in bytes. Blobs no release names
 * (uploads never published) are removed by the garbage collector once old enough — never one a
 * publish in flight has pinned, nor one stored again while the sweep ran.
 */
import { readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { stageArriving, writeFileAtomic } from './atomic.ts';
import type { BlobIndex } from './blob-index.ts';
import { ByteLru } from './lru.ts';
import type { ArrivingBlob, StagedBlob } from './room-store.ts';
import type { StoreLog } from './store.ts';

const SHA_RE = /^[0-9a-f]{64}$/;

/** The blob files of a data dir, and what of them is in memory. */
export class BlobFiles {
  private readonly stored = new Set<string>();
  private readonly cache: ByteLru<string, Uint8Array>;
  /** Blobs of publishes in flight (a count per blob): the garbage collector leaves them alone. */
  private readonly pins = new Map<string, number>();
  /** Blob files being removed by the garbage collector: a `put` of one waits for it. */
  private readonly deleting = new Map<string, Promise<void>>();
  /** While a sweep runs: blobs `put` was called with since it began (it must keep them). */
  private touchedDuringSweep: Set<string> | null = null;
  private sweep: Promise<number> | null = null;

  /**
   * @param dir the data dir
   * @param cacheBytes bytes of blobs kept in memory
   * @param index which blobs releases name (those the garbage collector keeps)
   */
  constructor(
    private readonly dir: string,
    cacheBytes: number,
    private readonly index: BlobIndex,
    private readonly log: StoreLog,
  ) {
    this.cache = new ByteLru(cacheBytes, (b) => b.length);
  }

  /** A blob found on disk at load. */
  found(sha256: string): void {
    this.stored.add(sha256);
  }

  /** True when the blob is stored. */
  has(sha256: string): boolean {
    return this.stored.has(sha256);
  }

  private path(sha256: string): string {
    return join(this.dir, 'blobs', sha256.slice(0, 2), sha256);
  }

  /** A stored blob's bytes (from memory if cached), or null. */
  async read(sha256: string): Promise<Uint8Array | null> {
    if (!this.stored.has(sha256)) return null;
    const cached = this.cache.get(sha256);
    if (cached) return cached;
    try {
      const bytes = new Uint8Array(await readFile(this.path(sha256)));
      this.cache.set(sha256, bytes);
      return bytes;
    } catch (error) {
      // Lost under a running relay: forget it (an upload puts it back) and say so, once.
      if (this.stored.delete(sha256)) {
        const rooms = this.index.roomsNaming(sha256);
        this.log(
          `blob ${sha256} is missing from the data dir (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})${rooms.length > 0 ? `; named in room(s) ${rooms.join(', ')}` : ''}`,
        );
      }
      return null;
    }
  }

  /**
   * Stores a blob whose hash the caller has checked. Returns false when it was there already; its
   * file's mtime is then refreshed, so an upload sent again (answered "known") gets a new hour before
   * the garbage collector may remove it, like a new one.
   */
  async put(sha256: string, bytes: Uint8Array): Promise<boolean> {
    if (!SHA_RE.test(sha256)) throw new TypeError(`not a sha256: ${sha256}`);
    this.touchedDuringSweep?.add(sha256);
    this.cache.set(sha256, bytes);
    const path = this.path(sha256);
    if (this.stored.has(sha256)) {
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
    this.stored.add(sha256);
    return true;
  }

  /**
   * {@link put} in two halves: the bytes are written under a temp name while they arrive (`bytes` is
   * the blob's buffer, filled from its start) and fsynced once all are in, beside the caller's
   * checks; `commit` puts them in place — or `discard` drops them, leaving nothing. Until `commit`
   * the blob is neither stored nor served.
   */
  stage(sha256: string, bytes: Uint8Array): ArrivingBlob {
    if (!SHA_RE.test(sha256)) throw new TypeError(`not a sha256: ${sha256}`);
    if (this.stored.has(sha256)) {
      const kept: StagedBlob = { commit: () => this.put(sha256, bytes), discard: async () => {} };
      return { advance: () => {}, staged: async () => kept, discard: async () => {} };
    }
    const arriving = stageArriving(this.path(sha256), bytes);
    return {
      advance: (n) => arriving.advance(n),
      staged: async () => {
        const staged = await arriving.staged();
        return {
          commit: async () => {
            this.touchedDuringSweep?.add(sha256);
            this.cache.set(sha256, bytes);
            // A sweep may be removing this very file: let it finish, or it could remove the new one.
            await this.deleting.get(sha256);
            const had = this.stored.has(sha256);
            await staged.commit();
            this.stored.add(sha256);
            return !had;
          },
          discard: () => staged.discard(),
        };
      },
      discard: () => arriving.discard(),
    };
  }

  /**
   * Keeps blobs from the garbage collector until the returned function is called: a publish pins the
   * blobs its release names from the moment it has read the release until the release is saved.
   */
  pin(sha256s: Iterable<string>): () => void {
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
    return this.index.names(sha256) || this.pins.has(sha256);
  }

  /**
   * Deletes blobs that no release names and that are older than `minAgeMs` (uploads that were never
   * published). Returns how many went. Publishes go on meanwhile: a blob is checked again right
   * before it goes — named by a release, pinned by a publish in flight, or passed to `put` since
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
      for (const sha of [...this.stored]) {
        if (this.inUse(sha)) continue;
        const path = this.path(sha);
        let exists = true;
        try {
          if (now - (await stat(path)).mtimeMs < minAgeMs) continue;
        } catch {
          exists = false; // gone already: forget it
        }
        // The await above let publishes and uploads run: check again, and decide without awaiting.
        if (this.inUse(sha) || touched.has(sha) || !this.stored.has(sha)) continue;
        this.stored.delete(sha);
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
}
