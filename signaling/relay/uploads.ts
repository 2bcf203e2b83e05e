/**
 * Uploads the relay accepts: only blobs a verified release named and the relay lacked, within the
 * room's quota of bytes awaited and the upload window, each checked (size, hash, then its chunk list
 * and content against the slot that named it) as it arrives — not on the publish's critical path.
 */
import { ErrorCode, fail, type Slot } from '../../protocol/index.ts';
import type { RoomStore } from '../store/room-store.ts';
import type { BlobChecks } from './blob-checks.ts';
import { IncomingBlob } from './incoming-blob.ts';
import type { RelayLimits } from './limits.ts';
import type { Refusal } from './relay.ts';

/** A blob a verified release named and the relay lacked: the only kind of upload it accepts. */
interface ExpectedUpload {
  readonly room: string;
  readonly size: number;
  readonly until: number;
  /** The slot that named it, checked against the bytes as they arrive. */
  readonly name: string;
  readonly slot: Slot;
}

/** What an upload may be, before its body is read. */
export type UploadExpectation =
  | { ok: true; stored: true }
  /** `chunkSize`: the chunking of the slot that asked for it, when this node knows the slot. */
  | { ok: true; stored: false; size: number; chunkSize?: number | undefined }
  | Refusal;

/**
 * An upload taken: `stored` is false when the blob was there already; `slot` is the slot of the
 * release that asked for it, when this node knows that release (null in a cluster, for an upload
 * another node's BLOB_MISSING asked for).
 */
export interface UploadResult {
  readonly ok: true;
  readonly stored: boolean;
  readonly slot: { readonly room: string; readonly name: string; readonly slot: Slot } | null;
}

/** The uploads the relay awaits. */
export class ExpectedUploads {
  private readonly expected = new Map<string, ExpectedUpload>();

  constructor(
    private readonly store: RoomStore,
    private readonly checks: BlobChecks,
    private readonly limits: RelayLimits,
    private readonly now: () => number,
  ) {}

  /**
   * What an upload of `sha256` may be, before its body is read: the declared size when a verified
   * release of a room named it as missing (within the upload window), else `stored` when the relay
   * has it already, else a refusal (`UPLOAD_NOT_EXPECTED`).
   */
  expectation(sha256: string): UploadExpectation {
    const local = this.expected.get(sha256);
    const expected = local ?? this.store.sharedExpectation?.(sha256, this.now());
    if (expected && expected.until >= this.now()) {
      return { ok: true, stored: false, size: expected.size, chunkSize: local?.slot.chunkSize };
    }
    this.expected.delete(sha256);
    if (this.store.hasBlob(sha256)) return { ok: true, stored: true };
    // A blob a stored (so verified) release names but the data dir lost: its upload heals the room.
    for (const state of this.store.rooms()) {
      const slot = this.store.descriptor(state.room, sha256);
      if (slot) return { ok: true, stored: false, size: slot.size, chunkSize: slot.chunkSize };
    }
    return fail(
      ErrorCode.UPLOAD_NOT_EXPECTED,
      `no verified release names blob ${sha256}: publish the release first (its BLOB_MISSING answer lists what to upload)`,
    );
  }

  /**
   * {@link expectation}, but in a cluster an upload this node's copy does not know yet is looked up in
   * the shared store before it is refused: the publisher may upload through any node the moment
   * another answered BLOB_MISSING, before the event telling this node has arrived (or if it was lost).
   */
  async expectationShared(sha256: string): Promise<UploadExpectation> {
    const first = this.expectation(sha256);
    if (first.ok || first.code !== ErrorCode.UPLOAD_NOT_EXPECTED || !this.store.lookUpExpectation)
      return first;
    const found = await this.store.lookUpExpectation(sha256, this.now());
    return found ? this.expectation(sha256) : first;
  }

  /**
   * An upload about to be read, after {@link expectation} allowed it (`size` and `chunkSize` from
   * there): its bytes are hashed as they arrive and — for a blob a release of this node waits for —
   * written out of sight and (a PNG texture) checked as they arrive too, so that {@link upload} has
   * little left to do after the last byte.
   */
  incoming(sha256: string, size: number, chunkSize: number | undefined): IncomingBlob {
    const waiting = this.expected.get(sha256);
    if (!waiting) return new IncomingBlob(sha256, size, { chunkSize });
    return new IncomingBlob(sha256, size, {
      chunkSize,
      staging: (buffer) => this.store.stageBlob?.(sha256, buffer) ?? null,
      png: (buffer) => this.checks.arriving(waiting.name, waiting.slot, buffer),
    });
  }

  /**
   * Stores the bytes of an expected blob after checking size and hash — and, for a blob a release is
   * waiting for, its chunk list and content against that release's slot. `stored` is false when the
   * blob was already there. What was done while the bytes arrived (hashes, the write, a PNG's check)
   * is not done again; the write is put in place only once every check passed, and a refused blob
   * leaves nothing stored.
   */
  async upload(incoming: IncomingBlob): Promise<UploadResult | Refusal> {
    const taken = await this.take(incoming);
    if (!taken.ok) await incoming.drop();
    return taken;
  }

  private async take(incoming: IncomingBlob): Promise<UploadResult | Refusal> {
    const { sha256 } = incoming;
    const { bytes, digests } = incoming.arrived();
    const expected = this.expectation(sha256);
    if (!expected.ok) return expected;
    if (expected.stored) {
      await incoming.drop();
      return { ok: true, stored: false, slot: null };
    }
    if (bytes.length !== expected.size) {
      return fail(ErrorCode.HASH_MISMATCH, `blob ${sha256} is ${expected.size} bytes, not ${bytes.length}`);
    }
    if (digests.sha256 !== sha256) return fail(ErrorCode.HASH_MISMATCH, `body does not hash to ${sha256}`);
    const waiting = this.expected.get(sha256);
    if (!waiting) {
      await incoming.drop();
      return { ok: true, stored: await this.store.putBlob(sha256, bytes), slot: null };
    }
    // The write's end (its fsync) runs beside the checks' end; a failed write is only reported once
    // the checks are done (a refusal of the bytes says more than a full disk).
    const staging = (incoming.staging ?? this.store.stageBlob?.(sha256, bytes))?.staged().then(
      (staged) => ({ staged }),
      (error: unknown) => ({ error }),
    );
    const checked = await this.checks.check(waiting.name, waiting.slot, bytes, digests, incoming.png);
    const staged = await staging;
    if (!checked.ok) {
      if (staged && 'staged' in staged) await staged.staged.discard();
      return checked;
    }
    if (staged && 'error' in staged) throw staged.error;
    // Expected until the release naming it is stored (or the window closes): the publisher may send
    // it again, and an upload sent again is kept fresh for the garbage collector.
    const stored = staged ? await staged.staged.commit() : await this.store.putBlob(sha256, bytes);
    return { ok: true, stored, slot: { room: waiting.room, name: waiting.name, slot: waiting.slot } };
  }

  /**
   * Remembers the missing blobs of a verified release as uploads to accept, within the room's quota;
   * in a cluster, resolves once every node can see them (before the publisher is told what to upload).
   */
  async expectMissing(
    room: string,
    slots: readonly (readonly [string, Slot])[],
    missing: readonly string[],
  ): Promise<Refusal | null> {
    const now = this.now();
    // In a cluster, the room's quota counts what every node awaits.
    let pending = this.store.sharedPendingBytes?.(room, now, [...missing, ...this.expected.keys()]) ?? 0;
    for (const [sha, e] of this.expected) {
      if (e.until < now) this.expected.delete(sha);
      else if (e.room === room && !missing.includes(sha)) pending += e.size;
    }
    const named = new Map(slots.map(([name, slot]) => [slot.sha256, { name, slot }]));
    for (const sha of missing) pending += named.get(sha)?.slot.size ?? 0;
    if (pending > this.limits.maxPendingBytesPerRoom) {
      return fail(
        ErrorCode.QUOTA_EXCEEDED,
        `room "${room}" would await ${pending} bytes of uploads; the relay allows ${this.limits.maxPendingBytesPerRoom}`,
      );
    }
    for (const sha of missing) {
      const { name, slot } = named.get(sha)!;
      this.expected.set(sha, { room, size: slot.size, until: now + this.limits.uploadWindowMs, name, slot });
    }
    // In a cluster the uploads may reach any node: tell them all.
    await this.store.shareExpectations?.(
      missing.map((sha256) => {
        const { room, size, until } = this.expected.get(sha256)!;
        return { sha256, room, size, until };
      }),
    );
    return null;
  }

  /** The blobs of a stored release are no longer awaited. */
  settle(slots: readonly (readonly [string, Slot])[]): void {
    for (const [, slot] of slots) this.expected.delete(slot.sha256);
  }
}
