/**
 * The headless client's cache: the last accepted release and its blobs. On disk, blobs are written
 * first and `release.json` last, each atomically, so the cache always holds a complete release (the
 * old one or the new one). What is read back is verified again — signature under a trusted key,
 * every blob against its slot — before it is used: the disk is outside too.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  parseSignedRelease,
  verifyBlob,
  verifyReleaseSignature,
  type SignedRelease,
  type Slot,
  type TrustedKeys,
} from '../../protocol/index.ts';
import { writeFileAtomic, removeTempFiles } from '../store/atomic.ts';

/** A release and its blobs (by SHA-256). */
export interface Held {
  readonly signed: SignedRelease;
  readonly blobs: ReadonlyMap<string, Uint8Array>;
}

/** Where the client keeps what it accepted. */
export interface ClientCache {
  /** The cached release, verified, or null. */
  load(trusted: TrustedKeys): Promise<Held | null>;
  /** A cached blob that matches the slot, or null. */
  blob(slot: Slot): Promise<Uint8Array | null>;
  /** Replaces the cached release (blobs first). */
  save(held: Held): Promise<void>;
}

async function verifyHeld(
  json: unknown,
  trusted: TrustedKeys,
  blob: (slot: Slot) => Promise<Uint8Array | null>,
): Promise<Held | null> {
  const parsed = parseSignedRelease(json);
  if (!parsed.ok) return null;
  const signed = parsed.value;
  const key = trusted.get(signed.release.keyId);
  if (!key || !(await verifyReleaseSignature(signed, key))) return null;
  const blobs = new Map<string, Uint8Array>();
  for (const slot of Object.values(signed.release.slots)) {
    const bytes = await blob(slot);
    if (!bytes) return null;
    blobs.set(slot.sha256, bytes);
  }
  return { signed, blobs };
}

/** A cache in memory (tests, benchmarks). */
export class MemoryCache implements ClientCache {
  private held: Held | null = null;

  async load(trusted: TrustedKeys): Promise<Held | null> {
    if (!this.held) return null;
    const blobs = this.held.blobs;
    return verifyHeld(this.held.signed, trusted, async (slot) => blobs.get(slot.sha256) ?? null);
  }

  async blob(slot: Slot): Promise<Uint8Array | null> {
    return this.held?.blobs.get(slot.sha256) ?? null;
  }

  async save(held: Held): Promise<void> {
    this.held = held;
  }
}

/** A cache in a directory: `blobs/<sha256>` and `release.json`. */
export class DirCache implements ClientCache {
  constructor(readonly dir: string) {}

  async load(trusted: TrustedKeys): Promise<Held | null> {
    await removeTempFiles(this.dir);
    await removeTempFiles(join(this.dir, 'blobs'));
    let json: unknown;
    try {
      json = JSON.parse(await readFile(join(this.dir, 'release.json'), 'utf8'));
    } catch {
      return null;
    }
    return verifyHeld(json, trusted, (slot) => this.blob(slot));
  }

  async blob(slot: Slot): Promise<Uint8Array | null> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(join(this.dir, 'blobs', slot.sha256)));
    } catch {
      return null;
    }
    return (await verifyBlob(slot, bytes)).ok ? bytes : null;
  }

  async save(held: Held): Promise<void> {
    const blobsDir = join(this.dir, 'blobs');
    let present = new Set<string>();
    try {
      present = new Set(await readdir(blobsDir));
    } catch {
      present = new Set();
    }
    for (const [sha, bytes] of held.blobs) {
      if (!present.has(sha)) await writeFileAtomic(join(blobsDir, sha), bytes);
    }
    await writeFileAtomic(join(this.dir, 'release.json'), JSON.stringify(held.signed));
    // Blobs of older releases are no longer needed once the new release file is in place.
    for (const name of present) {
      if (!held.blobs.has(name)) await rm(join(blobsDir, name), { force: true });
    }
  }
}
