/**
 * The patch client's releases, from download to commit: an accepted release's blobs are fetched
 * (a newer release supersedes the download: it asks for its own blobs first, so that one both need
 * goes on from where it was); then, behind any other apply, what the state it is applied to still
 * lacks is fetched too (a rollback arriving while the release it undoes was applied), each slot is
 * applied, the result is committed in one transaction, and every slot is acked. All or nothing: a
 * blob that can't be had fails the release and nothing is stored.
 */
import type { Message } from '../../protocol/messages.js';
import type { SignedRelease } from '../../protocol/release.js';
import type { PatchCache } from './cache.js';
import type { RoomState } from './schema.js';
import type { PatchHandlers } from './apply.js';
import { type AppliedDetail } from './status.js';
import type { BlobSource } from './transport.js';
/** What the pipeline needs of the client. */
export interface PipelineHost {
    readonly room: string;
    readonly cache: PatchCache;
    readonly blobs: BlobSource;
    readonly handlers: PatchHandlers;
    clientId(): string;
    /** The room's state now. */
    state(): RoomState;
    setState(state: RoomState): void;
    send(message: Message): boolean;
    error(text: string): void;
    /** Loading progress changed. */
    changed(): void;
    /** A release was applied and committed: the player holds it, and the verified bytes of its slots. */
    hold(signed: SignedRelease, blobs: ReadonlyMap<string, Uint8Array>): void;
    /** …and once its slots are acked. */
    applied(detail: AppliedDetail): void;
}
/** See the file comment. */
export declare class ReleasePipeline {
    private readonly host;
    private loading;
    private applying;
    /** Blobs verified lately: a release that supersedes a download reuses what it had finished. */
    private readonly recent;
    private closed;
    constructor(host: PipelineHost);
    /** The release being fetched, with verified bytes so far (null when idle). */
    get progress(): {
        readonly seq: number;
        readonly received: number;
        readonly total: number;
    } | null;
    /** Loads an accepted release, unless it is not newer than the state or what is loading already. */
    take(signed: SignedRelease): void;
    /** Runs `task` behind any release being applied, so that neither overwrites the other's state. */
    queue(task: () => Promise<void>): Promise<void>;
    /** Abandons downloads; nothing more is applied. */
    close(): void;
    /**
     * Fetches what a release needs, then queues its apply-and-commit. `started` runs once its fetches
     * are asked for: it abandons the download this one supersedes.
     */
    private load;
    /** The blobs `release` needs on top of the state as it is now (see `release-fetch.ts`). */
    private gather;
    private apply;
    private ack;
    /** All or nothing: blobs that could not be had fail the release, acked per slot. */
    private refuseParts;
}
