import type { Release, Slot } from '../../protocol/release.js';
import type { PatchCache } from './cache.js';
import type { RoomState } from './schema.js';
import type { BlobSource } from './transport.js';
/** What was fetched: the verified blobs by hash, and the slots whose blob could not be had. */
export interface FetchedBlobs {
    readonly blobs: ReadonlyMap<string, Uint8Array>;
    readonly failures: readonly {
        readonly name: string;
        readonly slot: Slot;
        readonly error: string;
    }[];
}
/**
 * Blobs verified lately, whether their release was applied or not: a release that supersedes a
 * download takes what that download had finished from here rather than from the network. Bounded:
 * the newest {@link RecentBlobs.maxCount} blobs, and at most {@link RecentBlobs.maxBytes} in all.
 */
export declare class RecentBlobs {
    static readonly maxCount = 8;
    static readonly maxBytes: number;
    private readonly blobs;
    private bytes;
    get(sha256: string): Uint8Array | undefined;
    put(sha256: string, bytes: Uint8Array): void;
    clear(): void;
    private delete;
}
/**
 * Fetches every blob `release` needs on top of `state` and doesn't `have` already, in parallel:
 * each from the blobs verified lately, else the cache, else the blob source. Reports verified bytes
 * so far. `onStarted` runs once every fetch from the source has been asked for (so that a download
 * this one supersedes can be abandoned without dropping a blob both need), before the answers.
 */
export declare function fetchReleaseBlobs(input: {
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
}): Promise<FetchedBlobs>;
