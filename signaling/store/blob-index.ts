/**
 * The data dir's blob index: which blobs the releases of each room name, with the slot of the newest
 * release naming each (its size and chunking are how the blob is served in that room), and each
 * texture blob's mime. Built as releases are loaded and saved; rebuilt when old releases are pruned.
 * The garbage collector keeps every blob it names. A cluster node's copy of Redis (node-copy.ts)
 * keeps one too.
 */
import type { SignedRelease, Slot, TextureMime } from '../../protocol/index.ts';

/** Blobs named by releases, per room. */
export class BlobIndex {
  /** Per room: each blob a release of it names → the slot of the newest such release. */
  private readonly roomBlobs = new Map<string, Map<string, Slot>>();
  /** Every blob some release names. */
  private readonly named = new Set<string>();
  /** Blob → the mime of the texture slot that last named it. */
  private readonly textureMimes = new Map<string, TextureMime>();

  /** Adds the blobs a release of `room` names (releases come in ascending seq). */
  add(room: string, signed: SignedRelease): void {
    let blobs = this.roomBlobs.get(room);
    if (!blobs) {
      blobs = new Map();
      this.roomBlobs.set(room, blobs);
    }
    for (const slot of Object.values(signed.release.slots)) {
      blobs.set(slot.sha256, slot);
      this.named.add(slot.sha256);
      if (slot.kind === 'texture') this.textureMimes.set(slot.sha256, slot.mime);
    }
  }

  /** Forgets everything (before a rebuild). */
  clear(): void {
    this.named.clear();
    this.roomBlobs.clear();
    this.textureMimes.clear();
  }

  /** True when some release names the blob. */
  names(sha256: string): boolean {
    return this.named.has(sha256);
  }

  /** Every blob named by some release (a copy). */
  all(): Set<string> {
    return new Set(this.named);
  }

  /** The rooms some release of which names the blob. */
  roomsNaming(sha256: string): string[] {
    return [...this.roomBlobs].filter(([, blobs]) => blobs.has(sha256)).map(([room]) => room);
  }

  /** The slot of the newest release of `room` naming the blob (its size and chunking), if any. */
  descriptor(room: string, sha256: string): Slot | undefined {
    return this.roomBlobs.get(room)?.get(sha256);
  }

  /** The mime of a texture slot naming the blob, if any. */
  mimeOf(sha256: string): TextureMime | undefined {
    return this.textureMimes.get(sha256);
  }
}
