/**
 * Building releases: what the CLI, the admin site and the demo seeding share. A new release carries
 * over every slot of the previous one and replaces the slots given; a rollback is a new release
 * (higher seq) whose slots are an older release's.
 */
import { describeBlob } from './blobs.ts';
import { utf8 } from './bytes.ts';
import type { SigningKey } from './crypto.ts';
import { DEFAULT_CHUNK_SIZE, DEFAULT_RELEASE_LIFETIME_MS } from './limits.ts';
import { ErrorCode, fail, ok, type Result } from './errors.ts';
import { extendTrust, trustKeys, type TrustedKeys } from './keys.ts';
import {
  signRelease,
  verifyReleaseSignature,
  type Release,
  type ScriptLang,
  type SignedRelease,
  type Slot,
  type TextureMime,
} from './release.ts';

/** New content for one slot. */
export type SlotInput =
  | {
      readonly kind: 'script';
      readonly bytes: Uint8Array;
      readonly version: string;
      readonly lang?: ScriptLang;
      readonly rolloutPercent?: number;
    }
  | {
      readonly kind: 'texture';
      readonly bytes: Uint8Array;
      readonly version: string;
      readonly mime: TextureMime;
      readonly rolloutPercent?: number;
    }
  | {
      readonly kind: 'config';
      readonly bytes: Uint8Array;
      readonly version: string;
      readonly rolloutPercent?: number;
    };

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
}

/** A signed release and the blobs its new slots name (sha256 → bytes). */
export interface BuiltRelease {
  readonly signed: SignedRelease;
  readonly blobs: Map<string, Uint8Array>;
}

/** Suggests the next version label: bumps the last number of a dotted version, else `1.0.0`. */
export function suggestNextVersion(previous: string | undefined): string {
  if (!previous) return '1.0.0';
  const m = /^(.*?)(\d+)(\D*)$/.exec(previous);
  if (!m) return `${previous}.1`;
  return `${m[1]!}${Number(m[2]!) + 1}${m[3]!}`;
}

async function describeSlot(input: SlotInput, chunkSize: number): Promise<Slot> {
  const desc = await describeBlob(input.bytes, chunkSize);
  const common = {
    sha256: desc.sha256,
    size: desc.size,
    version: input.version,
    chunkSize: desc.chunkSize,
    chunks: [...desc.chunks],
    ...(input.rolloutPercent === undefined || input.rolloutPercent >= 100
      ? {}
      : { rollout: { percent: input.rolloutPercent } }),
  };
  switch (input.kind) {
    case 'script':
      return { kind: 'script', ...(input.lang ? { lang: input.lang } : {}), ...common };
    case 'texture':
      return { kind: 'texture', mime: input.mime, ...common };
    case 'config':
      return { kind: 'config', ...common };
  }
}

function releaseHeader(
  input: Pick<BuildReleaseInput, 'room' | 'key' | 'now' | 'lifetimeMs' | 'notes'>,
  seq: number,
  version: string,
) {
  const now = input.now ?? new Date();
  return {
    format: 1 as const,
    room: input.room,
    seq,
    version,
    ...(input.notes ? { notes: input.notes } : {}),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + (input.lifetimeMs ?? DEFAULT_RELEASE_LIFETIME_MS)).toISOString(),
    keyId: input.key.keyId,
  };
}

/** Builds and signs the next release of a room. */
export async function buildRelease(input: BuildReleaseInput): Promise<BuiltRelease> {
  const chunkSize = input.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const slots: Record<string, Slot> = { ...(input.previous?.slots ?? {}) };
  for (const name of input.remove ?? []) delete slots[name];
  const blobs = new Map<string, Uint8Array>();
  for (const [name, slotInput] of Object.entries(input.slots)) {
    const slot = await describeSlot(slotInput, chunkSize);
    slots[name] = slot;
    blobs.set(slot.sha256, slotInput.bytes);
  }
  const seq = (input.previous?.seq ?? 0) + 1;
  const version = input.version ?? suggestNextVersion(input.previous?.version);
  const release: Release = { ...releaseHeader(input, seq, version), slots };
  return { signed: await signRelease(release, input.key), blobs };
}

/**
 * Builds a rollback: a new release above `current` whose slots are those of `target`. Players accept
 * it (its seq is higher) and the relay already holds its blobs.
 */
export async function buildRollback(input: {
  readonly current: Release;
  readonly target: Release;
  readonly key: SigningKey;
  readonly version?: string;
  readonly notes?: string;
  readonly now?: Date;
  readonly lifetimeMs?: number;
}): Promise<SignedRelease> {
  const version = input.version ?? input.target.version;
  const notes = input.notes ?? `rollback to seq ${input.target.seq} (${input.target.version})`;
  const release: Release = {
    ...releaseHeader({ ...input, room: input.current.room, notes }, input.current.seq + 1, version),
    slots: structuredClone(input.target.slots),
  };
  return signRelease(release, input.key);
}

/**
 * The keys a publisher trusts for a room: its own key and any pinned room keys, extended along the
 * rotation records a relay serves (each checked with `acceptRotation`; the relay's own key list is
 * never taken on its word).
 */
export async function publisherTrust(
  room: string,
  ownPublicKey: string,
  pinned: readonly string[],
  rotations: readonly unknown[],
): Promise<TrustedKeys> {
  return extendTrust(await trustKeys([ownPublicKey, ...pinned]), rotations, room);
}

/**
 * Checks a release fetched from a relay before building on it — a publish carries its slots over, a
 * rollback copies them, both take its seq — so that a relay cannot get a publisher to sign slots the
 * relay chose: it must be of this room and signed by a key the publisher trusts.
 */
export async function checkBase(
  candidate: SignedRelease,
  room: string,
  trusted: TrustedKeys,
): Promise<Result<SignedRelease>> {
  if (candidate.release.room !== room) {
    return fail(ErrorCode.WRONG_ROOM, `the relay's release is for room "${candidate.release.room}"`);
  }
  const publicKey = trusted.get(candidate.release.keyId);
  if (publicKey === undefined) {
    return fail(
      ErrorCode.UNKNOWN_KEY,
      `seq ${candidate.release.seq} is signed by key ${candidate.release.keyId}, which this key does not trust`,
    );
  }
  if (!(await verifyReleaseSignature(candidate, publicKey).catch(() => false))) {
    return fail(ErrorCode.BAD_SIGNATURE, `seq ${candidate.release.seq}'s signature does not verify`);
  }
  return ok(candidate);
}

/** UTF-8 bytes of a JSON config object, for a config slot. */
export function configBytes(config: object): Uint8Array {
  return utf8(JSON.stringify(config));
}
