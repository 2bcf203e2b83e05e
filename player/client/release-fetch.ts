/**
 * Gathering the blobs an accepted release needs: the slots whose content the player doesn't apply
 * already and will apply (not known to fail, within its staged rollout), each from the cache when it is there and still verifies (a rollback to content held
 * before), else from the blob source — verified chunk by chunk, whoever delivers them.
 */
import { verifyBlob } from '../../protocol/blobs.ts';
import type { Release, Slot } from '../../protocol/release.ts';
import type { PatchCache } from '../cache/cache.ts';
import type { RoomState } from '../cache/schema.ts';
import { needsBlob } from './release-apply.ts';
import type { BlobSource } from './transport.ts';

/** What was fetched: the verified blobs by hash, and the slots whose blob could not be had. */
export interface FetchedBlobs {
  readonly blobs: ReadonlyMap<string, Uint8Array>;
  readonly failures: readonly { readonly name: string; readonly slot: Slot; readonly error: string }[];
}

/**
 * Fetches every blob `release` needs on top of `state` and doesn't `have` already, in parallel;
 * reports verified bytes so far.
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
  readonly signal: AbortSignal;
  readonly onProgress: (received: number, total: number) => void;
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
  const results = await Promise.all(
    wanted.map(async ([name, slot]) => {
      const cached = await input.cache.blob(input.room, slot.sha256).catch(() => null);
      if (cached && (await verifyBlob(slot, cached)).ok) {
        got.set(slot.sha256, cached);
        received.set(slot.sha256, slot.size);
        report();
        return null;
      }
      const result = await input.blobs.fetch(slot, {
        signal: input.signal,
        onProgress: (bytes) => {
          received.set(slot.sha256, bytes);
          report();
        },
      });
      if (result.ok) got.set(slot.sha256, result.value);
      return result.ok ? null : { name, slot, error: `${result.code}: ${result.message}` };
    }),
  );
  return { blobs: got, failures: results.filter((r) => r !== null) };
}
