/**
 * Small blobs pushed with their release: a client whose hello said `pushBlobs` gets, right behind the
 * `release` message and in the same write, the chunk messages of the release's blobs of at most
 * `pushMaxBytes` (default `PUSH_BLOB_MAX_BYTES`, `serve --push-max-bytes`) — one write per player for a script patch, with no `blob.get` to read, parse
 * and answer. Only what the player will fetch is pushed: not a slot it holds (or acked, skipped or
 * failed) at that content, not a python script (for seed-protocol clients), not a slot outside its
 * staged rollout (`protocol/rollout.ts`, the players' own rule), and not content an older release of
 * the room gave that slot at or before the seq it holds (a rollback: the player has it in its cache).
 *
 * A room's latest small blobs are read once per release and kept (a bounded cache), so a player that
 * reconnects behind the latest release gets them with the release after its `welcome` (a hello
 * during the first read waits for it: one read for all); one that holds the latest gets nothing. Under an egress limit nothing is pushed: there every chunk waits for
 * the budget, and the swarm may carry it (`blob-flow.ts`). Pushed bytes count in the egress budget's
 * `sentBytes` like any blob chunk sent.
 */
import { createHash } from 'node:crypto';
import {
  PUSH_BLOB_MAX_BYTES,
  SlotKind,
  bucketInRollout,
  bucketOfDigest,
  rolloutKey,
  type SignedRelease,
  type Slot,
} from '../../protocol/index.ts';
import { ByteLru } from '../store/lru.ts';
import type { Relay } from '../relay/relay.ts';
import type { Conn } from './conn.ts';
import type { EgressBudget } from './egress.ts';
import type { FramedBlobCache } from './framed-blob.ts';

/** Bytes of small blobs kept for the rooms' latest releases (the oldest rooms' go first). */
export const PUSH_CACHE_BYTES = 16 * 1024 * 1024;

/** One small blob of a release, read, ready to push. */
export interface SmallBlob {
  readonly slot: string;
  readonly desc: Slot;
  readonly blob: Uint8Array;
  /**
   * The oldest seq at which an earlier release of the room gave the slot this content (null: none
   * did). A player holding that seq or later may have it in its cache: it is not pushed to it.
   */
  readonly earlierSeq: number | null;
}

/** The small blobs of one release of a room. */
interface RoomPush {
  readonly seq: number;
  readonly blobs: readonly SmallBlob[];
}

/** What the push needs to know of a connection's client. */
export interface PushTarget {
  /** The client id the player buckets itself by (the one its hello said). */
  readonly rolloutId: string;
  /** The client said `binaryChunks`. */
  readonly binaryChunks: boolean;
}

/** See the file comment. */
export class BlobPush {
  private readonly rooms = new ByteLru<string, RoomPush>(PUSH_CACHE_BYTES, (r) =>
    r.blobs.reduce((sum, b) => sum + b.blob.length, 1),
  );
  /** Reads in flight, per room (a reconnect storm after a restart reads once). */
  private readonly loading = new Map<string, Promise<RoomPush>>();
  /** Pushes since start: chunk messages' blobs, and their bytes (the bench and tests read these). */
  pushedBlobs = 0;
  pushedBytes = 0;

  constructor(
    private readonly relay: Relay,
    private readonly framed: FramedBlobCache,
    private readonly egress: EgressBudget,
    /** Blobs of at most this many bytes are pushed (0: none). */
    private readonly pushMaxBytes: number = PUSH_BLOB_MAX_BYTES,
  ) {}

  /** False under an egress limit (see the file comment), and with a push limit of 0. */
  get enabled(): boolean {
    return this.egress.bytesPerSecond === null && this.pushMaxBytes > 0;
  }

  /** Reads (once) the small blobs of `signed`, the room's latest release, and keeps them. */
  async load(signed: SignedRelease): Promise<readonly SmallBlob[]> {
    if (!this.enabled) return [];
    const { room, seq } = signed.release;
    const kept = this.rooms.get(room);
    if (kept && kept.seq === seq) return kept.blobs;
    let reading = this.loading.get(room);
    if (!reading) {
      reading = this.read(signed).finally(() => this.loading.delete(room));
      this.loading.set(room, reading);
    }
    const read = await reading;
    if (read.seq !== seq) return this.load(signed);
    // A newer release read meanwhile stays.
    if ((this.rooms.get(room)?.seq ?? 0) <= seq) this.rooms.set(room, read);
    return read.blobs;
  }

  /** The small blobs of `signed` if they are read already (else null: {@link load} them). */
  cached(signed: SignedRelease): readonly SmallBlob[] | null {
    const kept = this.rooms.get(signed.release.room);
    return kept && kept.seq === signed.release.seq ? kept.blobs : null;
  }

  /**
   * Queues, on `conn`, the chunk messages of the blobs in `blobs` that its player will fetch; call it
   * inside the outbox batch that queued the release, right after it.
   */
  push(conn: Conn, target: PushTarget, blobs: readonly SmallBlob[]): void {
    const entry = conn.entry;
    if (!entry) return;
    for (const small of blobs) {
      if (!willFetch(small, entry.slots.get(small.slot)?.sha256, entry.seq, target.rolloutId)) continue;
      const { desc, blob } = small;
      const framed = this.framed.get(
        desc.sha256,
        blob,
        desc.chunkSize,
        target.binaryChunks,
        conn.wire.framing,
      );
      const wire = framed.run(0, framed.count);
      // No limit (else `enabled` is false): this counts the bytes and sends at once.
      this.egress.schedule(desc.size, () => conn.outbox.send({ wire }));
      this.pushedBlobs++;
      this.pushedBytes += desc.size;
    }
  }

  private async read(signed: SignedRelease): Promise<RoomPush> {
    const { room, seq, slots } = signed.release;
    const history = this.relay.history(room) ?? [];
    const blobs: SmallBlob[] = [];
    for (const [slot, desc] of Object.entries(slots)) {
      if (desc.size > this.pushMaxBytes) continue;
      // Seed-protocol scripts go to seed clients in their own frames; our players never fetch them.
      if (desc.kind === SlotKind.script && desc.lang === 'python') continue;
      const blob = await this.relay.readBlob(desc.sha256);
      if (!blob) continue;
      blobs.push({ slot, desc, blob, earlierSeq: earlierSeqOf(history, slot, desc.sha256, seq) });
    }
    return { seq, blobs };
  }
}

/** The oldest seq before `seq` at which a release of `history` gave `slot` the content `sha256`. */
function earlierSeqOf(
  history: readonly SignedRelease[],
  slot: string,
  sha256: string,
  seq: number,
): number | null {
  let earliest: number | null = null;
  for (const { release } of history) {
    if (release.seq < seq && release.slots[slot]?.sha256 === sha256) {
      earliest = Math.min(earliest ?? release.seq, release.seq);
    }
  }
  return earliest;
}

/**
 * Whether a player will fetch a small blob of the release: it does not hold that content in the slot
 * (`heldSha256`: what it said in its hello or acked since), it had no earlier release giving the
 * slot that content (`heldSeq`), and the slot's staged rollout takes it — the bucket rule of
 * `protocol/rollout.ts`, hashed here synchronously.
 */
export function willFetch(
  small: SmallBlob,
  heldSha256: string | undefined,
  heldSeq: number,
  rolloutId: string,
): boolean {
  const { slot, desc, earlierSeq } = small;
  if (heldSha256 === desc.sha256) return false;
  if (earlierSeq !== null && heldSeq >= earlierSeq) return false;
  const percent = desc.rollout?.percent;
  if (percent === undefined || percent >= 100) return true;
  const digest = createHash('sha256')
    .update(rolloutKey(rolloutId, slot, desc.sha256))
    .digest();
  return bucketInRollout(bucketOfDigest(digest), percent);
}
