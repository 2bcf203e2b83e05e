/**
 * How content becomes a release, as far as the wire is concerned: the slot descriptor of a blob (its
 * hash, size and chunk hashes, which players verify chunk by chunk) and the dated, signed header.
 * What to put in a release — carrying slots over, the next seq, rollback, whose release to trust —
 * is the publisher's business (`publisher/`).
 */
import { describeBlob } from './blobs.ts';
import type { SigningKey } from './crypto.ts';
import { DEFAULT_RELEASE_LIFETIME_MS } from './limits.ts';
import {
  RELEASE_FORMAT,
  signRelease,
  type Release,
  type ScriptLang,
  type SignedRelease,
  type Slot,
  type TextureMime,
} from './release.ts';

/** New content for one slot, with the slot's version label and optional staged rollout. */
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

/** The slot descriptor of new content: hash, size and chunk hashes of its bytes (`chunkSize` each). */
export async function describeSlot(input: SlotInput, chunkSize: number): Promise<Slot> {
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

/** The slot descriptors of several slots' new content, and their blobs (sha256 → bytes). */
export async function describeSlots(
  inputs: Readonly<Record<string, SlotInput>>,
  chunkSize: number,
): Promise<{ slots: Record<string, Slot>; blobs: Map<string, Uint8Array> }> {
  const slots: Record<string, Slot> = {};
  const blobs = new Map<string, Uint8Array>();
  for (const [name, input] of Object.entries(inputs)) {
    const slot = await describeSlot(input, chunkSize);
    slots[name] = slot;
    blobs.set(slot.sha256, input.bytes);
  }
  return { slots, blobs };
}

/** What {@link assembleRelease} needs: everything of a release but its dates, then the clock. */
export interface AssembleInput {
  readonly room: string;
  readonly key: SigningKey;
  readonly seq: number;
  readonly version: string;
  readonly notes?: string;
  readonly slots: Readonly<Record<string, Slot>>;
  /** Signing time (default: now); the release expires `lifetimeMs` later. */
  readonly now?: Date;
  readonly lifetimeMs?: number;
}

/** Dates a release (created now, expiring after its lifetime), names the signing key and signs it. */
export async function assembleRelease(input: AssembleInput): Promise<SignedRelease> {
  const now = input.now ?? new Date();
  const release: Release = {
    format: RELEASE_FORMAT,
    room: input.room,
    seq: input.seq,
    version: input.version,
    ...(input.notes ? { notes: input.notes } : {}),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + (input.lifetimeMs ?? DEFAULT_RELEASE_LIFETIME_MS)).toISOString(),
    keyId: input.key.keyId,
    slots: { ...input.slots },
  };
  return signRelease(release, input.key);
}
