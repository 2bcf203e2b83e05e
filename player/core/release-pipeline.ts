/**
 * The patch client's releases, from download to commit: an accepted release's blobs are fetched
 * (a newer release supersedes the download: it asks for its own blobs first, so that one both need
 * goes on from where it was); then, behind any other apply, what the state it is applied to still
 * lacks is fetched too (a rollback arriving while the release it undoes was applied), each slot is
 * applied and the `shown` event fires (the release is on screen); then the result is committed in
 * one transaction, and only then is every slot acked and `applied` fired (the player holds it; a
 * commit that fails acks only the slots that failed, and fires no `applied`).
 * All or nothing: a blob that can't be had fails the release and nothing is stored.
 */
import type { HeldSlot, Message } from '../../protocol/messages.ts';
import type { Release, SignedRelease, Slot } from '../../protocol/release.ts';
import type { CacheUpdate, PatchCache } from './cache.ts';
import { CacheWriter } from './cache-writer.ts';
import { withTrustRoot, type RoomState } from './schema.ts';
import type { ApplyOutcome, PatchHandlers } from './apply.ts';
import { applyRelease } from './release-apply.ts';
import { markStage, Stage } from './timeline.ts';
import { fetchReleaseBlobs, RecentBlobs, type FetchedBlobs } from './release-fetch.ts';
import { ackOf, runningOf, type AppliedDetail, type LastFailure } from './status.ts';
import type { BlobSource } from './transport.ts';

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
  /** A slot failed (null: a release applied with no slot failed, so older failures are history). */
  failure(failure: Omit<LastFailure, 'at'> | null): void;
  /** Loading progress changed. */
  changed(): void;
  /** A release was applied and committed: the player holds it, and the verified bytes of its slots. */
  hold(signed: SignedRelease, blobs: ReadonlyMap<string, Uint8Array>): void;
  /** A release is on screen (its handlers returned; the state moved on), before the commit. */
  shown(detail: AppliedDetail): void;
  /** …and once it is committed and its slots are acked. */
  applied(detail: AppliedDetail): void;
}

interface Loading {
  readonly seq: number;
  readonly controller: AbortController;
  received: number;
  total: number;
}

/** See the file comment. */
export class ReleasePipeline {
  private readonly host: PipelineHost;
  private loading: Loading | null = null;
  private applying: Promise<void> = Promise.resolve();
  /** Blobs verified lately: a release that supersedes a download reuses what it had finished. */
  private readonly recent = new RecentBlobs();
  private closed = false;
  private readonly writer: CacheWriter;
  /** The acks (but `failed` ones) and `applied` of a release whose commit failed, sent once it is stored. */
  private unacked: { readonly seq: number; readonly send: (state: RoomState) => void } | null = null;

  constructor(host: PipelineHost) {
    this.host = host;
    this.writer = new CacheWriter(host.cache, host.room);
  }

  /** The state last committed (what `hello` claims), or read at boot ({@link ReleasePipeline.booted}). */
  get stored(): RoomState {
    return this.writer.stored;
  }

  /** The state the cache held at boot. */
  booted(state: RoomState): void {
    this.writer.booted(state);
  }

  /**
   * Commits to the cache (with what failed commits left unstored; `cache-writer.ts`); once a
   * release whose commit failed is stored, its acks go and `applied` fires.
   */
  async store(update: CacheUpdate): Promise<void> {
    await this.writer.commit(update);
    const unacked = this.unacked;
    if (unacked && unacked.seq <= update.state.seq) this.unacked = null;
    if (unacked?.seq === update.state.seq) unacked.send(update.state);
  }

  /** The release being fetched, with verified bytes so far (null when idle). */
  get progress(): { readonly seq: number; readonly received: number; readonly total: number } | null {
    return (
      this.loading && { seq: this.loading.seq, received: this.loading.received, total: this.loading.total }
    );
  }

  /** Loads an accepted release, unless it is not newer than the state or what is loading already. */
  take(signed: SignedRelease): void {
    const { seq } = signed.release;
    if (!this.closed && seq === this.host.state().seq && this.writer.unstored(seq)) {
      // Offered again (the relay's answer to a `hello` that claimed what is stored): on screen
      // already, so only its commit is tried again.
      void this.queue(() => this.storeAgain(seq)).catch((error: unknown) =>
        this.host.error(`cache: the release was not stored, so not acked: ${String(error)}`),
      );
      return;
    }
    if (this.closed || seq <= this.host.state().seq || (this.loading && this.loading.seq >= seq)) return;
    const superseded = this.loading;
    void this.load(signed, () => superseded?.controller.abort());
  }

  private async storeAgain(seq: number): Promise<void> {
    const state = this.host.state();
    if (this.closed || state.seq !== seq || !this.writer.unstored(seq)) return;
    await this.store({ state, releases: [], blobs: new Map() });
  }

  /** Runs `task` behind any release being applied, so that neither overwrites the other's state. */
  queue(task: () => Promise<void>): Promise<void> {
    const run = this.applying.then(task);
    this.applying = run.catch(() => undefined);
    return run;
  }

  /** Abandons downloads; nothing more is applied. */
  close(): void {
    this.closed = true;
    this.loading?.controller.abort();
    this.recent.clear();
  }

  /**
   * Fetches what a release needs, then queues its apply-and-commit. `started` runs once its fetches
   * are asked for: it abandons the download this one supersedes.
   */
  private async load(signed: SignedRelease, started: () => void): Promise<void> {
    const { release } = signed;
    const controller = new AbortController();
    const loading: Loading = { seq: release.seq, controller, received: 0, total: 0 };
    this.loading = loading;
    this.host.changed();
    const progress = (received: number, total: number) => {
      if (this.loading !== loading) return;
      loading.received = received;
      loading.total = total;
      this.host.changed();
    };
    const fetched = await this.gather(release, controller.signal, progress, { onStarted: started }).finally(
      started,
    );
    // Superseded (a newer release is loading), or closed.
    if (controller.signal.aborted || this.closed || this.loading !== loading) return;
    if (fetched.failures.length > 0) {
      // Nothing is stored; the relay offers the release again on the next connection.
      this.loading = null;
      this.refuseParts(release.seq, fetched.failures);
      return;
    }
    // Done loading once on screen (the commit and the acks follow).
    const done = () => {
      if (this.loading === loading) this.loading = null;
    };
    await this.queue(() => this.apply(signed, fetched.blobs, controller.signal, progress, done)).catch(
      (error: unknown) => this.host.error(`applying seq ${release.seq} failed: ${String(error)}`),
    );
    if (this.loading === loading) this.loading = null;
    this.host.changed();
  }

  /** The blobs `release` needs on top of the state as it is now (see `release-fetch.ts`). */
  private gather(
    release: Release,
    signal: AbortSignal,
    onProgress: (received: number, total: number) => void,
    more: Pick<Parameters<typeof fetchReleaseBlobs>[0], 'have' | 'onStarted'>,
  ): Promise<FetchedBlobs> {
    const { room, cache, blobs } = this.host;
    const [state, clientId, recent] = [this.host.state(), this.host.clientId(), this.recent];
    return fetchReleaseBlobs({
      ...more,
      release,
      state,
      room,
      clientId,
      cache,
      blobs,
      recent,
      signal,
      onProgress,
    });
  }

  private async apply(
    signed: SignedRelease,
    fetchedBlobs: ReadonlyMap<string, Uint8Array>,
    signal: AbortSignal,
    onProgress: (received: number, total: number) => void,
    onScreen: () => void,
  ): Promise<void> {
    const { release } = signed;
    if (release.seq <= this.host.state().seq || this.closed) return;
    // The download chose its blobs against the state of its start; a release applied since may have
    // changed what this one needs (a rollback to content the release before it replaced). Whatever
    // is missing now comes from the cache, else the network — all or nothing, as before.
    const more = await this.gather(release, signal, onProgress, { have: fetchedBlobs });
    if (signal.aborted || this.closed) return; // superseded: the newer release is applied instead
    if (more.failures.length > 0) return this.refuseParts(release.seq, more.failures);
    const blobs = new Map([...fetchedBlobs, ...more.blobs]);
    markStage(Stage.FETCHED, release.seq);
    const result = await applyRelease({
      state: this.host.state(),
      signed,
      blobs,
      handlers: this.host.handlers,
      clientId: this.host.clientId(),
    });
    // A key set learnt while the handlers ran (a release signed by a newer key) is kept: the next
    // offline boot needs it to trust what is committed here.
    const state = withTrustRoot(result.state, this.host.state());
    markStage(Stage.HANDLED, release.seq);
    // On screen: the state moves on and the page hears of it now (`shown`). The acks and `applied`
    // wait for the commit — a player that acked a release holds it, and a reload boots into it; a
    // crash before the commit loses nothing the relay counts on (it offers the release again).
    this.host.setState(state);
    const acks: [string, Slot, ApplyOutcome, HeldSlot | null][] = [];
    let failed = false;
    for (const [name, slot, outcome] of result.slots) {
      const running = runningOf(state, name);
      acks.push([name, slot, outcome, running]);
      if (outcome.status !== 'failed') continue;
      failed = true;
      const { seq, version } = release;
      this.host.failure({
        seq,
        release: version,
        slot: name,
        version: slot.version,
        error: outcome.error,
        running,
      });
      this.host.error(`${name} ${slot.version} (release ${version}, seq ${seq}): ${outcome.error}`);
    }
    if (!failed) this.host.failure(null);
    const { seq, version } = release;
    onScreen();
    const detail: AppliedDetail = { seq, version, fromCache: false, slots: result.outcomes };
    this.host.shown(detail);
    markStage(Stage.SHOWN, seq);
    try {
      // What is committed is what was applied (rotations learnt since are in the state the next
      // commit writes; the trust root is the client's to keep in memory meanwhile).
      await this.store({
        state: withTrustRoot(state, this.host.state()),
        releases: [signed],
        blobs: result.keepBlobs,
      });
    } catch (error) {
      // Not stored (quota, a closed database): on screen, but not held — a reload would boot into
      // the release before. An `applied` or `skipped` ack would say it is held (the roster moves the
      // player to this seq), so only the `failed` ones go, which report a slot's trouble whatever
      // the cache did; no `applied` event either. `hello` claims the seq stored, so the relay
      // offers it again on the next connection, and its commit is tried again (`take`); the rest
      // of the acks and `applied` wait for that. A player that reloads is offered it again.
      this.host.error(`cache: the release was not stored, so not acked: ${String(error)}`);
      for (const [name, slot, outcome, running] of acks) {
        if (outcome.status === 'failed') this.ack(seq, name, slot, outcome, running);
      }
      this.unacked = {
        seq,
        send: (stored) => {
          // (Not a slot the game dropped meanwhile: `reportFailure` acked it `failed`.)
          for (const [name, slot, outcome] of acks) {
            const dropped = outcome.status === 'applied' && stored.held[name]?.at(-1)?.sha256 !== slot.sha256;
            if (outcome.status !== 'failed' && !dropped)
              this.ack(seq, name, slot, outcome, runningOf(stored, name));
          }
          this.host.applied(detail);
        },
      };
      return;
    } finally {
      // Peers hear of it once the commit settled. Before `shown` it would cost the game (in the
      // demo page each is a message to the page's main thread: a frame each, on a busy page); before
      // the commit it costs the other players — handing a 4 MB texture to the page's swarm copies
      // it into fresh memory (~45 ms on a busy machine here) while they still fetch and decode
      // theirs. No peer waits for it meanwhile: while the relay serves everyone they fetch from the
      // relay, and a blob the swarm carried, the page's swarm holds already.
      this.host.hold(signed, blobs);
    }
    markStage(Stage.COMMITTED, seq);
    for (const [name, slot, outcome, running] of acks) this.ack(seq, name, slot, outcome, running);
    this.host.applied(detail);
    markStage(Stage.APPLIED, seq);
  }

  private ack(seq: number, name: string, slot: Slot, outcome: ApplyOutcome, running?: HeldSlot | null): void {
    this.host.send(ackOf(seq, name, slot, outcome, running));
  }

  /** All or nothing: blobs that could not be had fail the release, acked per slot. */
  private refuseParts(seq: number, failures: FetchedBlobs['failures']): void {
    for (const f of failures) {
      this.host.error(`${f.name}: ${f.error}`);
      this.ack(
        seq,
        f.name,
        f.slot,
        { status: 'failed', error: f.error },
        runningOf(this.host.state(), f.name),
      );
    }
  }
}
