/**
 * Gathering the blobs an accepted release needs: the slots whose content the player doesn't apply
 * already and will apply (not known to fail, within its staged rollout), each from the cache when it is there and still verifies (a rollback to content held
 * before), else from the blob source — verified chunk by chunk, whoever delivers them.
 */
import { verifyBlobChunks } from '../../protocol/blobs.ts';
import type { Release, Slot } from '../../protocol/release.ts';
import { referenced, type PatchCache } from './cache.ts';
import type { RoomState } from './schema.ts';
import { needsBlob } from './release-apply.ts';
import type { BlobSource } from './transport.ts';

/** What was fetched: the verified blobs by hash, and the slots whose blob could not be had. */
export interface FetchedBlobs {
  readonly blobs: ReadonlyMap<string, Uint8Array>;
  readonly failures: readonly { readonly name: string; readonly slot: Slot; readonly error: string }[];
}

/**
 * Blobs verified lately, whether their release was applied or not: a release that supersedes a
 * download takes what that download had finished from here rather than from the network. Bounded:
 * the newest {@link RecentBlobs.maxCount} blobs, and at most {@link RecentBlobs.maxBytes} in all.
 */
export class RecentBlobs {
  static readonly maxCount = 8;
  static readonly maxBytes = 32 * 1024 * 1024;
  private readonly blobs = new Map<string, Uint8Array>();
  private bytes = 0;

  get(sha256: string): Uint8Array | undefined {
    return this.blobs.get(sha256);
  }

  put(sha256: string, bytes: Uint8Array): void {
    this.delete(sha256);
    this.blobs.set(sha256, bytes);
    this.bytes += bytes.length;
    for (const oldest of this.blobs.keys()) {
      if (this.blobs.size <= RecentBlobs.maxCount && this.bytes <= RecentBlobs.maxBytes) break;
      if (oldest !== sha256) this.delete(oldest);
    }
  }

  clear(): void {
    this.blobs.clear();
    this.bytes = 0;
  }

  private delete(sha256: string): void {
    const had = this.blobs.get(sha256);
    if (had) this.bytes -= had.length;
    this.blobs.delete(sha256);
  }
}

/**
 * Fetches every blob `release` needs on top of `state` and doesn't `have` already, in parallel:
 * each from the blobs verified lately, else the cache, else the blob source. Reports verified bytes
 * so far. `onStarted` runs once every fetch from the source has been asked for (so that a download
 * this one supersedes can be abandoned without dropping a blob both need), before the answers.
 */
export async function fetchReleaseBlobs(input: {
  readonly release: Release;
  readonly state: RoomState;
  /** Blobs already fetched (by hash): not fetched again. */
  readonly have?: ReadonlyMap<string, Uint8Array>;
  readonly room: string;
  /** This player's id: its staged rollout buckets. */
  readonly clientId: string;
  readonly cache: PatchCache;
  readonly blobs: BlobSource;
  readonly recent: RecentBlobs;
  readonly signal: AbortSignal;
  readonly onProgress: (received: number, total: number) => void;
  readonly onStarted?: () => void;
}): Promise<FetchedBlobs> {
  const wanted: [string, Slot][] = [];
  for (const [name, slot] of Object.entries(input.release.slots)) {
    if (input.have?.has(slot.sha256)) continue;
    if (await needsBlob(input.state, name, slot, input.clientId)) wanted.push([name, slot]);
  }
  const total = wanted.reduce((sum, [, slot]) => sum + slot.size, 0);
  const received = new Map<string, number>();
  const report = () =>
    input.onProgress(
      [...received.values()].reduce((a, b) => a + b, 0),
      total,
    );
  const got = new Map<string, Uint8Array>();
  report();
  // What is here already (verified again: the bytes may have been held a while). The cache keeps
  // only blobs the state references (a commit deletes the rest), so new content is not looked for
  // there: on a busy page each IndexedDB read is a trip through its event loop.
  const cached = referenced(input.state).blobs;
  const local = await Promise.all(
    wanted.map(async ([, slot]) => {
      const recent = input.recent.get(slot.sha256);
      if (recent && (await verifyBlobChunks(slot, recent)).ok) return recent;
      if (!cached.has(slot.sha256)) return null;
      const stored = await input.cache.blob(input.room, slot.sha256).catch(() => null);
      return stored && (await verifyBlobChunks(slot, stored)).ok ? stored : null;
    }),
  );
  // The rest from the source, all asked for before anything is awaited.
  const fetches = wanted.map(([name, slot], i) => {
    const bytes = local[i];
    if (bytes) {
      got.set(slot.sha256, bytes);
      received.set(slot.sha256, slot.size);
      report();
      return null;
    }
    // (A signal that fired already may never fire for the source.)
    if (input.signal.aborted) return { name, slot, error: 'INTERNAL: fetch superseded' };
    return input.blobs
      .fetch(slot, {
        signal: input.signal,
        onProgress: (n) => {
          received.set(slot.sha256, n);
          report();
        },
      })
      .then((result) => {
        if (!result.ok) return { name, slot, error: `${result.code}: ${result.message}` };
        got.set(slot.sha256, result.value);
        input.recent.put(slot.sha256, result.value);
        return null;
      });
  });
  input.onStarted?.();
  const results = await Promise.all(fetches);
  return { blobs: got, failures: results.filter((r) => r !== null) };
}
