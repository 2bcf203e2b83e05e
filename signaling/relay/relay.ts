/**
 * The relay service: the one door to the relay's rooms, releases and blobs, for the HTTP API and the
 * hub alike. Its decisions — accept a publish (through protocol's `acceptRelease`, then the blobs,
 * then their content), accept a key rotation, create a room, accept an upload — and its answers
 * (latest release, history, keys, blobs, a blob's chunking). It owns no sockets: it stores through
 * a {@link RoomStore} (the data dir, or Redis shared by several nodes) and tells its listeners about
 * each new release — its own, and those other nodes accepted — and the hub fans it out.
 */
import { KeyedQueue } from './keyed-queue.ts';
import {
  ErrorCode,
  acceptRelease,
  fail,
  parseSignedRotation,
  sha256Hex,
  trustKeys,
  type ErrorCode as Code,
  type ReleaseAdoption,
  type SignedRelease,
  type Slot,
  type TextureMime,
} from '../../protocol/index.ts';
import { StoreConflict, type RoomStore } from '../store/room-store.ts';
import { latestOf, releaseAt, type DataDirReport, type StoredRoom } from '../store/store.ts';
import { AdoptionBook, type ConnectedPlayer } from './adoption.ts';
import { BlobChecks } from './blob-checks.ts';
import { PlanRunner } from './plans.ts';
import type { IncomingBlob } from './incoming-blob.ts';
import { ExpectedUploads, type UploadExpectation, type UploadResult } from './uploads.ts';
import { duplicateVersion } from './versions.ts';
import { textureCheckCounts } from './content.ts';
import { DecodeQueue } from './decode-queue.ts';
import { DEFAULT_RELAY_LIMITS, type RelayLimits } from './limits.ts';
import { bornRoom, keysOf, publishableUnder, rotatedRoom, type RoomKeys } from './key-rotation.ts';

export { DEFAULT_RELAY_LIMITS, type RelayLimits };

/** A refusal: a code from the protocol's list, words, and the blobs the relay lacks (BLOB_MISSING). */
export interface Refusal {
  readonly ok: false;
  readonly code: Code;
  readonly message: string;
  readonly missing?: readonly string[];
}

/** What a publish hands the relay. */
export interface PublishInput {
  readonly room: string;
  /** The signed release, straight from the request: `acceptRelease` validates it. */
  readonly candidate: unknown;
  /**
   * Blobs sent with the release, by SHA-256 (the hash is checked here): bytes, or base64 text that
   * is decoded only after the release verified, and only for blobs it names.
   */
  readonly blobs: ReadonlyMap<string, Uint8Array | string>;
  /** For a room's first release: the key that becomes the room key. */
  readonly publicKey?: string;
  /**
   * May this publish create the room? Only an operator (or an open relay's quota) may; without it a
   * publish to a room that does not exist is refused with `OPERATOR_REQUIRED`. Default false.
   */
  readonly mayCreate?: boolean;
}

/** A publish that went through. */
export interface AcceptedPublish {
  readonly ok: true;
  readonly signed: SignedRelease;
  readonly previous: SignedRelease | null;
  readonly createdRoom: boolean;
}

/** A room as the rooms list shows it. */
export interface RoomOverview {
  readonly room: string;
  /** Seq of the latest release (0 for none). */
  readonly seq: number;
  readonly version: string | null;
  readonly updatedAt: string | null;
  /** Keys the room trusts. */
  readonly keys: number;
  /** The highest seq the room ever accepted (above `seq` when that release's file was lost). */
  readonly lastSeq: number;
  /** What the data dir lacks for this room (empty when nothing). */
  readonly degraded: readonly string[];
}

export type { RoomKeys };

/** Told about every new release, after it is durable. */
export type ReleaseListener = (signed: SignedRelease, previous: SignedRelease | null) => void;

/**
 * Told about every uploaded blob once it is checked and stored, with the slot of the release that
 * asked for it: what will be sent is known before that release is published (the hub frames it).
 */
export type BlobListener = (sha256: string, bytes: Uint8Array, slot: UploadedSlot) => void;

/** The slot (and its room) of the release an upload was for. */
export type UploadedSlot = NonNullable<UploadResult['slot']>;

/** The relay core. */
export class Relay {
  private readonly queue = new KeyedQueue();
  private readonly listeners = new Set<ReleaseListener>();
  private readonly blobListeners = new Set<BlobListener>();
  private readonly uploads: ExpectedUploads;
  private readonly decoder: DecodeQueue;
  private readonly checks: BlobChecks;
  /** What the texture checks did (a PNG is checked without a decoder; tests count on it). */
  readonly textureChecks = textureCheckCounts();
  readonly limits: RelayLimits;
  /** What players said of each release (adoption counts), kept per release. */
  readonly adoption: AdoptionBook;
  /** Guarded rollouts: the pre-signed steps the relay publishes, or halts, by itself. */
  readonly plans: PlanRunner;

  constructor(
    /** The data dir (the server's maintenance and tests use it; everyone else asks the relay). */
    readonly store: RoomStore,
    private readonly now: () => number = Date.now,
    limits: Partial<RelayLimits> = {},
    log: (message: string) => void = () => {},
    /** Where the adoption counts and the plans are kept (null: in memory only). */
    dataDir: string | null = null,
  ) {
    this.limits = { ...DEFAULT_RELAY_LIMITS, ...limits };
    this.decoder = new DecodeQueue(this.limits.decodeTimeoutMs);
    this.checks = new BlobChecks({
      maxPixels: this.limits.maxTexturePixels,
      decode: this.decoder,
      counts: this.textureChecks,
    });
    this.uploads = new ExpectedUploads(store, this.checks, this.limits, now);
    // A store shared with other nodes: their releases reach this node's listeners (the hub) too.
    store.onExternalRelease?.((signed, previous) => this.emit(signed, previous));
    // Adoption counts and plans keep their files in the data dir (none: in memory only).
    this.adoption = new AdoptionBook({ dataDir, log, now });
    this.plans = new PlanRunner(this, { dataDir, log, now });
  }

  private emit(signed: SignedRelease, previous: SignedRelease | null): void {
    for (const listener of this.listeners) listener(signed, previous);
  }

  /** Loads the adoption counts and the guarded rollouts, and resumes those that were running. */
  async open(): Promise<void> {
    await this.adoption.load();
    await this.plans.load();
  }

  /** Stops the plans' timers and writes the counts not written yet. */
  async close(): Promise<void> {
    this.plans.close();
    await this.adoption.flush();
  }

  /**
   * A player's ack, for the adoption counts: recorded when release `seq` of the room names the slot
   * (an ack of a release the relay does not keep changes no count).
   */
  recordAck(
    room: string,
    clientId: string,
    ack: Parameters<AdoptionBook['ack']>[4] & { readonly seq: number; readonly slot: string },
  ): void {
    const release = releaseAt(this.store.room(room), ack.seq);
    if (!release || !Object.hasOwn(release.release.slots, ack.slot)) return;
    this.adoption.ack(room, ack.seq, clientId, ack.slot, ack);
  }

  /** What a player's hello says it holds, for the adoption counts (see `AdoptionBook.held`). */
  recordHeld(room: string, clientId: string, seq: number, slots: Parameters<AdoptionBook['held']>[2]): void {
    const release = releaseAt(this.store.room(room), seq);
    if (release) this.adoption.held(release, clientId, slots);
  }

  /** The adoption counts of every release of a room, newest first; null when there is no such room. */
  adoptionOf(room: string, connected: readonly ConnectedPlayer[]): ReleaseAdoption[] | null {
    const state = this.store.room(room);
    if (!state) return null;
    const newest = latestOf(state);
    return [...state.history]
      .reverse()
      .map((signed) => this.adoption.count(signed, connected, signed === newest));
  }

  /** True when the room exists (loaded or quarantined). */
  hasRoom(room: string): boolean {
    // A quarantined room exists too: nobody may create it again over its files.
    return this.store.room(room) !== undefined || this.store.quarantineReason(room) !== undefined;
  }

  /** Adds a listener for new releases (the hub; benchmarks); returns its removal. */
  onRelease(listener: ReleaseListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- rooms and releases ------------------------------------------------------------------------

  /** The latest release of a room, or null. */
  latest(room: string): SignedRelease | null {
    return latestOf(this.store.room(room));
  }

  /** Every room, with its latest release's seq, version and time. */
  rooms(): RoomOverview[] {
    return [...this.store.rooms()].map((state) => {
      const latest = latestOf(state);
      return {
        room: state.room,
        seq: latest?.release.seq ?? 0,
        version: latest?.release.version ?? null,
        updatedAt: latest?.release.createdAt ?? null,
        keys: state.trusted.size,
        lastSeq: this.store.lastSeq(state.room),
        degraded: this.store.damageOf(state.room),
      };
    });
  }

  /**
   * The highest seq a room ever accepted, or that a halted guarded rollout reserved (its unused last
   * step): a publisher goes above it.
   */
  lastSeq(room: string): number {
    return Math.max(this.store.lastSeq(room), this.plans.reservedSeq(room));
  }

  private staleSeq(room: string, why: string): Refusal {
    const last = this.lastSeq(room);
    return fail(
      ErrorCode.STALE_SEQ,
      `${why}: the last seq this relay accepted in room "${room}" is ${last}; publish ${last + 1} or above`,
    );
  }

  /** Why a room is quarantined (its files are damaged: it is neither served nor changed), or undefined. */
  quarantineReason(room: string): string | undefined {
    return this.store.quarantineReason(room);
  }

  /** Rooms the data dir could not load (quarantined) or lacks something for (degraded). */
  dataDir(): DataDirReport {
    return this.store.report();
  }

  /** How many rooms there are. */
  roomCount(): number {
    return [...this.store.rooms()].length;
  }

  /** Every release of a room, newest first; null when there is no such room. */
  history(room: string): SignedRelease[] | null {
    const state = this.store.room(room);
    return state ? [...state.history].reverse() : null;
  }

  /** The keys of a room; null when there is no such room. */
  keys(room: string): RoomKeys | null {
    const state = this.store.room(room);
    return state ? keysOf(state) : null;
  }

  /** The version of a room's newest key-set record (0: it has none); null when there is no such room. */
  rotationVersion(room: string): number | null {
    const state = this.store.room(room);
    return state ? (state.rotations.at(-1)?.keySet.version ?? 0) : null;
  }

  /** Key id → public key of every key a room trusts; null when there is no such room. */
  trustedKeys(room: string): ReadonlyMap<string, string> | null {
    return this.store.room(room)?.trusted ?? null;
  }

  /**
   * True when the room's latest release, or its release `seq` (the one a client speaks of, which a
   * newer publish may have superseded meanwhile), has a slot of this name.
   */
  namesSlot(room: string, slot: string, seq: number): boolean {
    const state = this.store.room(room);
    const latest = latestOf(state);
    if (latest && Object.hasOwn(latest.release.slots, slot)) return true;
    const named = releaseAt(state, seq);
    return named !== null && Object.hasOwn(named.release.slots, slot);
  }

  // ---- blobs -------------------------------------------------------------------------------------

  /** True when the blob is stored. */
  hasBlob(sha256: string): boolean {
    return this.store.hasBlob(sha256);
  }

  /** A stored blob's bytes, or null. */
  readBlob(sha256: string): Promise<Uint8Array | null> {
    return this.store.readBlob(sha256);
  }

  /** A blob's content type: the mime of a texture slot naming it, else null. */
  mimeOf(sha256: string): TextureMime | null {
    return this.store.mimeOf(sha256) ?? null;
  }

  /**
   * How a blob is served in a room: the slot of the room's newest release naming it (its chunking),
   * or null when no release of the room names it.
   */
  chunkingOf(room: string, sha256: string): Slot | null {
    return this.store.descriptor(room, sha256) ?? null;
  }

  /**
   * What an upload of `sha256` may be, before its body is read (see {@link ExpectedUploads}); in a
   * cluster, an expectation this node has not heard of yet is looked up in Redis before refusing.
   */
  expectUpload(sha256: string): Promise<UploadExpectation> {
    return this.uploads.expectationShared(sha256);
  }

  /**
   * An upload {@link expectUpload} allowed, to feed its body to as it arrives (hashed, written and —
   * a PNG — checked meanwhile); then {@link upload} it (see {@link ExpectedUploads.incoming}).
   */
  incomingUpload(sha256: string, size: number, chunkSize: number | undefined): IncomingBlob {
    return this.uploads.incoming(sha256, size, chunkSize);
  }

  /** Stores the bytes of a blob a verified release named, once checked (see {@link ExpectedUploads}). */
  async upload(incoming: IncomingBlob): Promise<UploadResult | Refusal> {
    const result = await this.uploads.upload(incoming);
    if (result.ok && result.stored && result.slot) {
      const { bytes } = incoming.arrived();
      for (const listener of this.blobListeners) listener(incoming.sha256, bytes, result.slot);
    }
    return result;
  }

  /** Adds a listener for uploaded blobs (the hub); returns its removal. */
  onBlobArrived(listener: BlobListener): () => void {
    this.blobListeners.add(listener);
    return () => this.blobListeners.delete(listener);
  }

  // ---- publishing ----------------------------------------------------------------------------------

  /** Runs `task` after every earlier task on the same room: publishes of one room never interleave. */
  private serialize<T>(room: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(room, task);
  }

  /** Accepts or refuses a publish. Never throws for bad input; a refusal leaves everything as it was. */
  publish(input: PublishInput): Promise<AcceptedPublish | Refusal> {
    return this.serialize(input.room, () => this.publishNow(input));
  }

  /** A refusal for a room whose files the store found damaged, or null. */
  private quarantined(room: string): Refusal | null {
    const reason = this.store.quarantineReason(room);
    if (reason === undefined) return null;
    return fail(
      ErrorCode.ROOM_QUARANTINED,
      `room "${room}" is quarantined (${reason}): the relay's operator must repair it first`,
    );
  }

  private async publishNow(input: PublishInput): Promise<AcceptedPublish | Refusal> {
    const quarantined = this.quarantined(input.room);
    if (quarantined) return quarantined;
    const state = this.store.room(input.room);
    let trusted: ReadonlyMap<string, string>;
    if (state) trusted = state.trusted;
    else if (input.mayCreate !== true) {
      return fail(
        ErrorCode.OPERATOR_REQUIRED,
        `room "${input.room}" does not exist, and only an operator of the relay may create rooms`,
      );
    } else if (input.publicKey !== undefined) trusted = await trustKeys([input.publicKey]);
    else {
      return fail(
        ErrorCode.NO_SUCH_ROOM,
        `room "${input.room}" does not exist: send its public key with the first release, or create it first`,
      );
    }
    const previous = latestOf(state);
    const expired = publishableUnder(state, this.now());
    if (expired) return expired;
    const accepted = await acceptRelease({
      candidate: input.candidate,
      room: input.room,
      trustedKeys: trusted,
      // The floor is the highest seq ever accepted here, even if that release's file was lost since:
      // players that got it refuse anything at or below it.
      current: state ? { seq: this.lastSeq(input.room) } : null,
      now: this.now(),
    });
    if (!accepted.ok && accepted.code === ErrorCode.STALE_SEQ)
      return this.staleSeq(input.room, accepted.message);
    if (!accepted.ok) return accepted;
    const signed = accepted.value;
    // In a cluster, another node's release can land while the checks above were awaited: a seq taken
    // meanwhile is still STALE_SEQ (not, say, DUPLICATE_VERSION against the release that took it).
    if (signed.release.seq <= this.lastSeq(input.room)) {
      return this.staleSeq(input.room, `seq ${signed.release.seq} was taken meanwhile`);
    }
    const duplicate = duplicateVersion(state?.history ?? [], signed);
    if (duplicate) return duplicate;
    // While a guarded rollout runs, only its own next step (or its halt) is published.
    const gated = this.plans.gate(input.room, signed);
    if (gated) return gated;
    // From here until the release is saved (and so names them), its blobs are safe from the
    // garbage collector, which runs alongside.
    const unpin = this.store.pinBlobs(Object.values(signed.release.slots).map((slot) => slot.sha256));
    try {
      return await this.storeRelease(input, state, trusted, previous, signed);
    } finally {
      unpin();
    }
  }

  private async storeRelease(
    input: PublishInput,
    state: StoredRoom | undefined,
    trusted: ReadonlyMap<string, string>,
    previous: SignedRelease | null,
    signed: SignedRelease,
  ): Promise<AcceptedPublish | Refusal> {
    // Every blob the release names must be here or in the request; collect what is missing first,
    // so the publisher learns the whole list at once.
    const slots = Object.entries(signed.release.slots);
    let missing = [
      ...new Set(
        slots
          .map(([, slot]) => slot.sha256)
          .filter((sha) => !input.blobs.has(sha) && !this.store.hasBlob(sha)),
      ),
    ];
    // In a cluster, an upload through another node may not have reached this node's copy yet.
    if (missing.length > 0 && this.store.confirmMissing) missing = await this.store.confirmMissing(missing);
    if (missing.length > 0) {
      const quota = await this.uploads.expectMissing(input.room, slots, missing);
      if (quota) return quota;
      return {
        ok: false,
        code: ErrorCode.BLOB_MISSING,
        message: `the relay lacks ${missing.length} blob(s) the release names`,
        missing,
      };
    }
    // Only now, with the release verified, are the blobs it names decoded (and nothing else is).
    const sent = new Map<string, Uint8Array>();
    for (const [, slot] of slots) {
      const raw = input.blobs.get(slot.sha256);
      if (raw === undefined || sent.has(slot.sha256)) continue;
      const bytes = typeof raw === 'string' ? decodeBase64Capped(raw, slot.size) : raw;
      if (bytes === null || bytes.length !== slot.size || (await sha256Hex(bytes)) !== slot.sha256)
        return fail(ErrorCode.HASH_MISMATCH, `blob sent as ${slot.sha256} has another size or hash`);
      sent.set(slot.sha256, bytes);
    }
    // A blob checked against this very slot when it arrived (or for an earlier release) is not read
    // again: the publish of a release whose blobs came up first costs its signature and one fsync.
    for (const [name, slot] of slots) {
      if (this.checks.passed(name, slot)) continue;
      const bytes = sent.get(slot.sha256) ?? (await this.store.readBlob(slot.sha256));
      if (!bytes) return fail(ErrorCode.BLOB_MISSING, `blob of slot ${name} could not be read`);
      const checked = await this.checks.check(name, slot, bytes);
      if (!checked.ok) return checked;
    }

    // Durable in this order: blobs, then the room (if new), then the release file — which is written
    // out of sight beside the blobs' writes and put in place after them.
    const blobsWritten = Promise.all([...sent].map(([sha, bytes]) => this.store.putBlob(sha, bytes))).then(
      () => this.uploads.settle(slots),
    );
    // Its failure is reported where it is awaited (below, or in saveRelease); a path that throws
    // before that must not leave it unhandled.
    blobsWritten.catch(() => {});
    let room = state;
    const createdRoom = !room;
    try {
      if (!room) {
        await blobsWritten;
        room = {
          room: input.room,
          createdAt: new Date(this.now()).toISOString(),
          trusted: new Map(trusted),
          rotations: [],
          history: [],
        };
        await this.store.saveRoom(room);
      }
      await this.store.saveRelease(signed, blobsWritten);
    } catch (error) {
      // A shared store: another node got there first (or a blob expired meanwhile).
      if (!(error instanceof StoreConflict)) throw error;
      if (error.code === ErrorCode.BLOB_MISSING) {
        const quota = await this.uploads.expectMissing(input.room, slots, error.missing);
        if (quota) return quota;
        return { ok: false, code: error.code, message: error.message, missing: error.missing };
      }
      return fail(error.code, error.message);
    }
    this.emit(signed, previous);
    return { ok: true, signed, previous, createdRoom };
  }

  /**
   * Moves a room to its next key set through a signed rotation record (`key-rotation.ts`: version
   * one above, signed by the threshold of the current keys and of its own, not expired on arrival).
   * A replayed or older record is refused (`STALE_KEY_SET`) and changes nothing. For a room that
   * does not exist yet, a version 1 record signed by its own keys creates the room (only for an
   * operator).
   */
  rotate(
    room: string,
    candidate: unknown,
    mayCreate = false,
  ): Promise<{ ok: true; keys: RoomKeys; created: boolean } | Refusal> {
    return this.serialize(room, async () => {
      const quarantined = this.quarantined(room);
      if (quarantined) return quarantined;
      const parsed = parseSignedRotation(candidate);
      if (!parsed.ok) return parsed;
      const state = this.store.room(room);
      if (!state && !mayCreate) {
        return fail(
          ErrorCode.OPERATOR_REQUIRED,
          `room "${room}" does not exist, and only an operator of the relay may create rooms`,
        );
      }
      const next = state
        ? await rotatedRoom(state, parsed.value, this.now())
        : await bornRoom(room, parsed.value, this.now());
      if (!next.ok) return next;
      const saved = await this.saveRoomOrRefuse(next.room);
      if (saved) return saved;
      return { ok: true as const, keys: keysOf(next.room), created: !state };
    });
  }

  /** Saves a room's record; a refusal when a shared store's room moved on meanwhile. */
  private async saveRoomOrRefuse(state: StoredRoom): Promise<Refusal | null> {
    try {
      await this.store.saveRoom(state);
      return null;
    } catch (error) {
      if (error instanceof StoreConflict) return fail(error.code, error.message);
      throw error;
    }
  }
}

/**
 * Decodes standard base64 of a blob declared `size` bytes long; null when the text cannot be that
 * size (checked from its length before any byte is decoded).
 */
function decodeBase64Capped(text: string, size: number): Uint8Array | null {
  if (text.length > Math.ceil(size / 3) * 4) return null;
  const bytes = Buffer.from(text, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
