/**
 * A cluster node's copy of what Redis holds: every room's record and releases, which blobs those
 * releases name, and the uploads other nodes told of. The relay reads only this copy; the store's
 * writes (redis-store.ts) and the sync loop (cluster-sync.ts) keep it in step with Redis.
 */
import type { SignedRelease } from '../../protocol/index.ts';
import { BlobIndex } from '../store/blob-index.ts';
import type { SharedExpectation } from '../store/room-store.ts';
import { latestOf, type StoredRoom } from '../store/store.ts';

/** What one node holds of the cluster's rooms. */
export class NodeCopy {
  readonly roomsByName = new Map<string, StoredRoom>();
  /** Room → version of its record this node holds (see SAVE_ROOM). */
  readonly versions = new Map<string, number>();
  readonly lastSeqs = new Map<string, number>();
  /** Which blobs the rooms' releases name (with the slot of the newest naming each, and mimes). */
  readonly blobs = new BlobIndex();
  /** Blobs uploaded but not yet named by a release → when they expire (epoch ms). */
  readonly unpublished = new Map<string, number>();
  readonly expectations = new Map<string, SharedExpectation>();

  /** The highest seq this node knows the room accepted (held, or seen in Redis). */
  lastSeq(room: string): number {
    const latest = latestOf(this.roomsByName.get(room))?.release.seq ?? 0;
    return Math.max(latest, this.lastSeqs.get(room) ?? 0);
  }

  /** Adds a release to the copy (in ascending seq; false when it has it already). */
  append(room: string, signed: SignedRelease): boolean {
    const state = this.roomsByName.get(room);
    if (!state) return false;
    if ((latestOf(state)?.release.seq ?? 0) >= signed.release.seq) return false;
    state.history.push(signed);
    this.blobs.add(room, signed);
    for (const slot of Object.values(signed.release.slots)) {
      this.unpublished.delete(slot.sha256);
      this.expectations.delete(slot.sha256);
    }
    return true;
  }
}
