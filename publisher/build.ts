/**
 * Building releases. A new release carries over every slot of the previous one, replaces the slots
 * given, drops the slots removed, and takes seq + 1; a rollback is a new release (higher seq) whose
 * slots are an older release's. Signing is deterministic (Ed25519 over the release's canonical JSON),
 * so the same inputs — key, clock, base, content — give the same bytes whoever builds them.
 */
import { assembleRelease, describeSlots, type SlotInput } from '../protocol/assemble.ts';
import type { SigningKey } from '../protocol/crypto.ts';
import { DEFAULT_CHUNK_SIZE } from '../protocol/limits.ts';
import type { Release, SignedRelease, Slot } from '../protocol/release.ts';
import { suggestNextVersion } from './version.ts';

export type { SlotInput };

/** What {@link buildRelease} needs. */
export interface BuildReleaseInput {
  readonly room: string;
  readonly key: SigningKey;
  /** The room's current release; its slots carry over and its seq + 1 is the new seq. */
  readonly previous: Release | null;
  /** Release version label; defaults to {@link suggestNextVersion} of the previous one. */
  readonly version?: string;
  readonly notes?: string;
  readonly slots: Readonly<Record<string, SlotInput>>;
  /** Slots to drop from the carried-over set. */
  readonly remove?: readonly string[];
  readonly now?: Date;
  readonly lifetimeMs?: number;
  readonly chunkSize?: number;
  /** The seq (default: the previous one's + 1; higher when the relay reserved seqs above it). */
  readonly seq?: number;
}

/** A signed release and the blobs its new slots name (sha256 → bytes). */
export interface BuiltRelease {
  readonly signed: SignedRelease;
  readonly blobs: Map<string, Uint8Array>;
}

/** Builds and signs the next release of a room. */
export async function buildRelease(input: BuildReleaseInput): Promise<BuiltRelease> {
  const chunkSize = input.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const slots: Record<string, Slot> = { ...(input.previous?.slots ?? {}) };
  for (const name of input.remove ?? []) delete slots[name];
  const fresh = await describeSlots(input.slots, chunkSize);
  Object.assign(slots, fresh.slots);
  const signed = await assembleRelease({
    room: input.room,
    key: input.key,
    seq: input.seq ?? (input.previous?.seq ?? 0) + 1,
    version: input.version ?? suggestNextVersion(input.previous?.version),
    ...(input.notes ? { notes: input.notes } : {}),
    slots,
    ...(input.now ? { now: input.now } : {}),
    ...(input.lifetimeMs === undefined ? {} : { lifetimeMs: input.lifetimeMs }),
  });
  return { signed, blobs: fresh.blobs };
}

/** What {@link buildRollback} needs. */
export interface BuildRollbackInput {
  /** The live release: the rollback takes its seq + 1. */
  readonly current: Release;
  /** The release whose slots come back. */
  readonly target: Release;
  readonly key: SigningKey;
  /** Default: the target's version (the same content keeps its label). */
  readonly version?: string;
  /** Default: `rollback to seq N (version)`. */
  readonly notes?: string;
  readonly now?: Date;
  readonly lifetimeMs?: number;
}

/**
 * Builds a rollback: a new release above `current` whose slots are those of `target`. Players accept
 * it (its seq is higher) and the relay already holds its blobs.
 */
export async function buildRollback(input: BuildRollbackInput): Promise<SignedRelease> {
  return assembleRelease({
    room: input.current.room,
    key: input.key,
    seq: input.current.seq + 1,
    version: input.version ?? input.target.version,
    notes: input.notes ?? `rollback to seq ${input.target.seq} (${input.target.version})`,
    slots: structuredClone(input.target.slots),
    ...(input.now ? { now: input.now } : {}),
    ...(input.lifetimeMs === undefined ? {} : { lifetimeMs: input.lifetimeMs }),
  });
}
