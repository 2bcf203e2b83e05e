/**
 * The relay's decisions: accept a publish (through protocol's `acceptRelease`, then the blobs, then
 * their content), accept a key rotation, create a room. It owns no sockets: it stores through
 * {@link RelayStore} and tells its listener about each new release, and the hub fans it out.
 */
import {
  ErrorCode,
  acceptRelease,
  acceptRotation,
  fail,
  keyIdOf,
  parseSignedRotation,
  sha256Hex,
  trustKeys,
  verifyBlob,
  verifyBytes,
  canonicalBytes,
  type ErrorCode as Code,
  type SignedRelease,
  type SignedRotation,
} from '../../protocol/index.ts';
import { latestOf, type RelayStore, type RoomState } from '../store/store.ts';
import { checkContent } from './content.ts';

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
  /** Blob bytes sent with the release, by SHA-256 (the hash is checked here). */
  readonly blobs: ReadonlyMap<string, Uint8Array>;
  /** For a room's first release: the key that becomes the room key. */
  readonly publicKey?: string;
}

/** A publish that went through. */
export interface Published {
  readonly ok: true;
  readonly signed: SignedRelease;
  readonly previous: SignedRelease | null;
  readonly createdRoom: boolean;
}

/** Told about every new release, after it is durable. */
export type ReleaseListener = (signed: SignedRelease, previous: SignedRelease | null) => void;

/** The relay core. */
export class Relay {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly contentChecked = new Set<string>();
  private readonly listeners = new Set<ReleaseListener>();

  constructor(
    readonly store: RelayStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds a listener for new releases (the hub; benchmarks); returns its removal. */
  onRelease(listener: ReleaseListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The latest release of a room, or null. */
  latest(room: string): SignedRelease | null {
    return latestOf(this.store.room(room));
  }

  /** Runs `task` after every earlier task on the same room: publishes of one room never interleave. */
  private serialize<T>(room: string, task: () => Promise<T>): Promise<T> {
    const before = this.locks.get(room) ?? Promise.resolve();
    const run = before.then(task, task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(room, tail);
    void tail.then(() => {
      if (this.locks.get(room) === tail) this.locks.delete(room);
    });
    return run;
  }

  /** Accepts or refuses a publish. Never throws for bad input; a refusal leaves everything as it was. */
  publish(input: PublishInput): Promise<Published | Refusal> {
    return this.serialize(input.room, () => this.publishNow(input));
  }

  private async publishNow(input: PublishInput): Promise<Published | Refusal> {
    const state = this.store.room(input.room);
    let trusted: ReadonlyMap<string, string>;
    if (state) trusted = state.trusted;
    else if (input.publicKey !== undefined) trusted = await trustKeys([input.publicKey]);
    else {
      return fail(
        ErrorCode.NO_SUCH_ROOM,
        `room "${input.room}" does not exist: send its public key with the first release, or create it first`,
      );
    }
    const previous = latestOf(state);
    const accepted = await acceptRelease({
      candidate: input.candidate,
      room: input.room,
      trustedKeys: trusted,
      current: previous ? previous.release : null,
      now: this.now(),
    });
    if (!accepted.ok) return accepted;
    const signed = accepted.value;
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
    state: RoomState | undefined,
    trusted: ReadonlyMap<string, string>,
    previous: SignedRelease | null,
    signed: SignedRelease,
  ): Promise<Published | Refusal> {
    // Every blob the release names must be here or in the request; collect what is missing first,
    // so the publisher learns the whole list at once.
    const slots = Object.entries(signed.release.slots);
    const missing = [
      ...new Set(
        slots
          .map(([, slot]) => slot.sha256)
          .filter((sha) => !input.blobs.has(sha) && !this.store.hasBlob(sha)),
      ),
    ];
    if (missing.length > 0) {
      return {
        ok: false,
        code: ErrorCode.BLOB_MISSING,
        message: `the relay lacks ${missing.length} blob(s) the release names`,
        missing,
      };
    }
    for (const [sha, bytes] of input.blobs) {
      if ((await sha256Hex(bytes)) !== sha)
        return fail(ErrorCode.HASH_MISMATCH, `blob sent as ${sha} has another hash`);
    }
    const bytesOf = new Map<string, Uint8Array>();
    for (const [name, slot] of slots) {
      const bytes = input.blobs.get(slot.sha256) ?? (await this.store.readBlob(slot.sha256));
      if (!bytes) return fail(ErrorCode.BLOB_MISSING, `blob of slot ${name} could not be read`);
      const whole = await verifyBlob(slot, bytes);
      if (!whole.ok) return fail(whole.code, `slot ${name}: ${whole.message}`);
      const memo = `${slot.sha256}:${slot.kind}:${slot.kind === 'texture' ? slot.mime : name}`;
      if (!this.contentChecked.has(memo)) {
        const content = await checkContent(name, slot, bytes);
        if (!content.ok) return fail(content.code, `slot ${name}: ${content.message}`);
        this.contentChecked.add(memo);
      }
      bytesOf.set(slot.sha256, bytes);
    }

    // Durable in this order: blobs, then the room (if new), then the release file.
    for (const [sha, bytes] of bytesOf) await this.store.putBlob(sha, bytes);
    let room = state;
    const createdRoom = !room;
    if (!room) {
      room = {
        room: input.room,
        createdAt: new Date(this.now()).toISOString(),
        trusted: new Map(trusted),
        rotations: [],
        history: [],
      };
      await this.store.saveRoom(room);
    }
    await this.store.saveRelease(signed);
    for (const listener of this.listeners) listener(signed, previous);
    return { ok: true, signed, previous, createdRoom };
  }

  /**
   * Adds a key to a room through a signed rotation record. For a room that does not exist yet, a
   * self-signed record (signed by the new key itself) creates the room with that key.
   */
  rotate(
    room: string,
    candidate: unknown,
  ): Promise<{ ok: true; state: RoomState; created: boolean } | Refusal> {
    return this.serialize(room, async () => {
      const parsed = parseSignedRotation(candidate);
      if (!parsed.ok) return parsed;
      const record = parsed.value;
      const state = this.store.room(room);
      if (state) {
        const accepted = await acceptRotation(record, room, state.trusted);
        if (!accepted.ok) return accepted;
        const next: RoomState = {
          ...state,
          trusted: accepted.value,
          rotations: [...state.rotations, record],
        };
        await this.store.saveRoom(next);
        return { ok: true as const, state: next, created: false };
      }
      const genesis = await checkGenesis(room, record);
      if (!genesis.ok) return genesis;
      const created: RoomState = {
        room,
        createdAt: new Date(this.now()).toISOString(),
        trusted: await trustKeys([record.rotation.newKey]),
        rotations: [record],
        history: [],
      };
      await this.store.saveRoom(created);
      return { ok: true as const, state: created, created: true };
    });
  }
}

/** A room's birth certificate: a rotation record for `room` signed by the very key it introduces. */
async function checkGenesis(room: string, record: SignedRotation): Promise<{ ok: true } | Refusal> {
  const { rotation, sig } = record;
  if (rotation.room !== room) return fail(ErrorCode.WRONG_ROOM, `record is for room "${rotation.room}"`);
  if ((await keyIdOf(rotation.newKey)) !== rotation.newKeyId || rotation.keyId !== rotation.newKeyId) {
    return fail(
      ErrorCode.UNKNOWN_KEY,
      `room "${room}" does not exist; only a record signed by its own new key can create it`,
    );
  }
  if (!(await verifyBytes(rotation.newKey, canonicalBytes(rotation), sig)))
    return fail(ErrorCode.BAD_SIGNATURE, 'record signature does not verify');
  return { ok: true };
}
