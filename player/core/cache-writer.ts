/**
 * The client's writes to its cache, and what they stored: the last state committed (what `hello`
 * claims: a release on screen whose commit failed is not held, so the relay offers it again), and
 * the releases and blobs of commits that failed, carried into the next commit while the state it
 * writes still names them (else that commit would store a state naming blobs it never stored, and
 * the next boot would miss them).
 */
import type { SignedRelease } from '../../protocol/release.ts';
import { referenced, type CacheUpdate, type PatchCache } from './cache.ts';
import { emptyRoomState, type RoomState } from './schema.ts';

/** See the file comment. */
export class CacheWriter {
  private last: RoomState;
  private readonly releases = new Map<number, SignedRelease>();
  private readonly blobs = new Map<string, Uint8Array>();

  constructor(
    private readonly cache: PatchCache,
    private readonly room: string,
  ) {
    this.last = emptyRoomState(room);
  }

  /** The state last committed (or read at boot). */
  get stored(): RoomState {
    return this.last;
  }

  /** The state the cache held at boot. */
  booted(state: RoomState): void {
    this.last = state;
  }

  /** True when release `seq` was applied but its commit failed (and no later commit stored it). */
  unstored(seq: number): boolean {
    return this.releases.has(seq);
  }

  /** Commits `update`, with whatever it names that earlier failed commits left unstored. */
  async commit(update: CacheUpdate): Promise<void> {
    const keep = referenced(update.state);
    const releases = new Map(update.releases.map((s) => [s.release.seq, s] as const));
    for (const [seq, signed] of this.releases) if (keep.releases.has(seq)) releases.set(seq, signed);
    const blobs = new Map(update.blobs);
    for (const [sha256, bytes] of this.blobs) if (keep.blobs.has(sha256)) blobs.set(sha256, bytes);
    try {
      await this.cache.commit(this.room, { state: update.state, releases: [...releases.values()], blobs });
    } catch (error) {
      // Kept for the next commit: what this one would have stored (no more than its state names).
      this.releases.clear();
      this.blobs.clear();
      for (const [seq, signed] of releases) if (keep.releases.has(seq)) this.releases.set(seq, signed);
      for (const [sha256, bytes] of blobs) if (keep.blobs.has(sha256)) this.blobs.set(sha256, bytes);
      throw error;
    }
    this.last = update.state;
    this.releases.clear();
    this.blobs.clear();
  }
}
