/**
 * Request scheduling: which chunk of a blob being fetched is asked of whom, and when. Peers that hold
 * a chunk first (those that delivered before those that haven't, `peer-score.ts`), at most a few
 * requests in flight to each; the relay for what no peer gives in time (a chunk the relay never
 * deferred at once, a deferred one only when our peers have gone quiet). Every chunk is checked
 * against the signed chunk hashes before it is kept; a peer whose chunk fails is dropped and banned,
 * one that refuses or stalls requests for chunks it claimed gets strikes.
 *
 * While the relay serves at once (it sent no `blob.defer` lately), it is asked a full window, as if we
 * had no peers, and chunks gained are told to peers once, as `have all` when the blob is whole: the
 * swarm must never be slower than the relay alone. Once the relay defers, it is asked little and
 * every chunk gained is told to peers, who then carry the bytes.
 *
 * The parts: `relay-window.ts` (what the relay said lately, how much to ask it), `starvation.ts` (a
 * download its peers leave waiting), `peer-deadline.ts` (when a request to a peer is overdue),
 * `peer-score.ts` (which peer, and when one is dropped), `fetch-job.ts` (one download's bookkeeping).
 */
import type { BlobDescriptor } from '../../protocol/blobs.ts';
import type { Result } from '../../protocol/errors.ts';
import { decodeChunkFrame, PeerMessageType, type PeerMessage } from '../../protocol/swarm/wire.ts';
import type { RelaySource } from '../core/transport.ts';
import {
  endRequests,
  newFetchJob,
  RELAY,
  settleRequest,
  verifyChunk,
  waitFor,
  wakeJobAt,
  wanted,
  type FetchJob,
} from './fetch-job.ts';
import type { HeldBlobs } from './held-blobs.ts';
import type { PeerState } from './peer.ts';
import { watchPeerRequest } from './peer-deadline.ts';
import {
  credit,
  deadlineFor,
  inflightLimit,
  nextAnswerMs,
  pickPeer,
  strike,
  STRIKE_REFUSED,
  strikeTimeout,
} from './peer-score.ts';
import { RelayWindow } from './relay-window.ts';
import { Starvation } from './starvation.ts';
import type { ResolvedSwarmOptions, SwarmStats } from './swarm-options.ts';

/** How long a peer that said `peer.none` for a chunk is not asked for it again. */
export const REFUSAL_BACKOFF_MS = 250;

/** What the scheduler needs of the swarm around it. */
export interface SchedulerHost {
  readonly opts: ResolvedSwarmOptions;
  readonly relay: RelaySource | null;
  readonly stats: SwarmStats;
  readonly peers: ReadonlyMap<string, PeerState>;
  readonly held: HeldBlobs;
  isClosed(): boolean;
  send(peer: PeerState, message: PeerMessage): void;
  broadcast(message: PeerMessage): void;
  /** We hold a blob whole that peers were not told of chunk by chunk (`PeerNews.holding`). */
  holding(sha256: string): void;
  /** Tells every peer what we hold and fetch through the swarm now (a `peer.hello` again). */
  greet(): void;
  removePeer(id: string, ban?: boolean): void;
  /** The relay deferred us to our peers: links are wanted (`SwarmOptions.onPeersWanted`). */
  wantPeers(): void;
  /** Links are being made on demand though none is up (`SwarmOptions.linking`). */
  linking(): boolean;
}

/** The downloads of one swarm. */
export class ChunkScheduler {
  private readonly jobs = new Map<string, FetchJob>();
  private readonly relayWindow: RelayWindow;
  private readonly starvation: Starvation;
  /** Typical time from asking for a chunk to holding it (relay and peers), for probation deadlines. */
  private answerMs: number | null = null;

  constructor(private readonly host: SchedulerHost) {
    this.relayWindow = new RelayWindow(host.opts);
    this.starvation = new Starvation(host.opts.starvedAfterMs, (starved) => host.relay?.starved?.(starved));
  }

  /** The job fetching `sha256`, if any. */
  job(sha256: string): FetchJob | undefined {
    return this.jobs.get(sha256);
  }

  /** Every job in progress. */
  all(): IterableIterator<FetchJob> {
    return this.jobs.values();
  }

  /** Fetches a blob; several calls share one job (see `Swarm.fetch`). */
  fetch(
    desc: BlobDescriptor,
    opts: { signal?: AbortSignal; onProgress?: (received: number, total: number) => void },
  ): Promise<Result<Uint8Array>> {
    let job = this.jobs.get(desc.sha256);
    if (!job) {
      if (this.jobs.size === 0) this.starvation.started(this.host.opts.clock.now());
      job = newFetchJob(desc, this.host.opts.hash, this.host.opts.random);
      this.jobs.set(desc.sha256, job);
    }
    const theJob = job;
    const result = waitFor(theJob, opts, () => this.finish(theJob, null));
    this.pump(theJob);
    return result;
  }

  /**
   * A first link is up: the starvation clock starts now, not at the relay's first `blob.defer` (a
   * player that links on demand dials only then, and its peers need the time to link and answer).
   */
  linked(): void {
    this.starvation.waitFrom(this.host.opts.clock.now());
  }

  /** Ends every job with `result`. */
  finishAll(result: Result<Uint8Array>): void {
    for (const job of this.jobs.values()) this.finish(job, result);
  }

  pumpAll(): void {
    for (const job of this.jobs.values()) this.pump(job);
  }

  /** A peer said it holds a chunk (or, `all`, a whole blob). */
  offered(peer: PeerState, sha256: string, index: number, all: boolean): void {
    const job = this.jobs.get(sha256);
    // One new chunk on offer: try just that one (a full pump per `have` is quadratic in a swarm).
    if (job && !all) this.tryChunk(job, index, peer);
    else if (job) this.pump(job);
  }

  /** A peer said `peer.none` for a chunk. */
  refused(peer: PeerState, sha256: string, index: number): void {
    const now = this.host.opts.clock.now();
    peer.unlearn(sha256, index, now + REFUSAL_BACKOFF_MS);
    const job = this.jobs.get(sha256);
    const pending = job?.inflight.get(index);
    if (job && pending?.from === peer.link.id) {
      this.host.stats.peerRefusals++;
      // We asked only because it said it holds the chunk: a refusal is a broken promise.
      settleRequest(job, index, peer, this.host.opts.clock);
      if (strike(peer, STRIKE_REFUSED)) return this.host.removePeer(peer.link.id, true);
    }
    if (job) {
      this.pump(job);
      // It may be askable again once the refusal lapses; look again then.
      this.wakeAt(job, now + REFUSAL_BACKOFF_MS);
    }
  }

  /** A binary chunk frame from a peer. */
  async received(peer: PeerState, data: Uint8Array): Promise<void> {
    const frame = decodeChunkFrame(data);
    if (!frame.ok) return this.host.removePeer(peer.link.id, true);
    const { sha256, index, bytes } = frame.value;
    const job = this.jobs.get(sha256);
    const pending = job?.inflight.get(index);
    // Only what we asked this peer for: unsolicited bytes are not ours to hold. A late answer to a
    // request that passed its deadline is still ours (the peer was slow, not lying): taken if we
    // still need it, rather than fetched again while its copy is already on the way.
    const asked = pending?.from === peer.link.id;
    const late = !asked && peer.late.delete(`${sha256}:${index}`);
    if (!job || (!asked && !late)) return;
    if (asked) {
      // Only an answer to a request in flight shows the peer at work (a late frame for a chunk we
      // already hold is not checked, so it buys no time); its bytes are verified below.
      peer.lastAnswerAt = this.host.opts.clock.now();
      peer.lastAnsweredAskedAt = Math.max(peer.lastAnsweredAskedAt, pending.at);
      settleRequest(job, index, peer, this.host.opts.clock);
      this.answered(pending.at);
    } else if (job.asm.has(index) || job.verifying.has(index)) {
      return;
    }
    const added = await verifyChunk(job, index, bytes);
    if (!added.ok) {
      this.host.stats.badChunks++;
      this.host.removePeer(peer.link.id, true);
    } else {
      credit(peer);
      if (added.value) {
        this.host.stats.bytesFromPeers += bytes.length;
        this.host.stats.chunksFromPeers++;
        this.starvation.fed(this.host.opts.clock.now());
        this.swarmCarries(job);
        this.gained(job, index);
      }
    }
    this.pump(job);
  }

  /** A link closed: what it owed us is asked elsewhere. */
  forget(peer: PeerState): void {
    for (const job of this.jobs.values()) {
      for (const [index, pending] of job.inflight)
        if (pending.from === peer.link.id) settleRequest(job, index, peer, this.host.opts.clock);
    }
  }

  /**
   * Starts requests for missing chunks. While the relay serves at once, it is asked for every chunk,
   * a full window, as if we had no peers: a peer only for a chunk the relay failed to give. Once it
   * defers to the swarm (or fails), peers that hold a chunk first, the relay for the rest.
   */
  private pump(job: FetchJob): void {
    const { opts, peers, relay } = this.host;
    if (job.done || this.host.isClosed()) return;
    const peerOk = job.desc.chunkSize <= opts.maxPeerChunkBytes;
    const now = opts.clock.now();
    const relayWindow = this.relayWindow;
    const lookAgain = this.starvation.check(
      now,
      peers.size > 0,
      job.deferred.size > 0 || relayWindow.defers(now),
    );
    if (lookAgain !== null) this.wakeAt(job, lookAgain);
    const starved = this.starvation.isStarved;
    const alone = peers.size === 0 || starved;
    const busy = relayWindow.busy(now);
    const relayLimit = relayWindow.limit(now, peers.size > 0, starved);
    // A chunk the relay has told us to get from peers ("deferred": someone has it) is asked of the
    // relay again only when our peers have gone quiet — while they keep delivering, it will most
    // likely come from them. A chunk the relay never deferred is asked at once: nobody may have it.
    const quietSince = this.starvation.lastPeerChunkAt + opts.peerStallMs;
    const peersQuiet = alone || !peerOk || now >= quietSince;
    if (!peersQuiet && job.deferred.size > 0) this.wakeAt(job, quietSince);
    for (const index of job.order) {
      if (!wanted(job, index)) continue;
      const relayMay =
        relay !== null &&
        (peersQuiet || !job.deferred.has(index)) &&
        relayWindow.inflight < relayLimit &&
        // (Starved, the relay may not defer us: its retry-after, the trickle's pace, is not ours.)
        (starved || now >= (job.relayNotBefore.get(index) ?? 0));
      // The relay first while it serves at once; peers only for what it could not give.
      if (relay && !busy && !job.relayNotBefore.has(index)) {
        if (relayMay) this.askRelay(job, index, relay);
        continue;
      }
      const peer = peerOk
        ? pickPeer(peers.values(), job.desc.sha256, index, now, opts.maxInflightPerPeer, opts.random)
        : undefined;
      if (peer) this.askPeer(job, index, peer);
      else if (relayMay) this.askRelay(job, index, relay!);
    }
    if (job.inflight.size === 0 && job.verifying.size === 0 && !job.asm.complete) job.idleSince ??= now;
  }

  /** A request for `job` starts: whatever time it sat idle is counted. */
  private busy(job: FetchJob): void {
    if (job.idleSince === null) return;
    this.host.stats.idleMs += this.host.opts.clock.now() - job.idleSince;
    job.idleSince = null;
  }

  /**
   * Asks `peer` for one chunk it just offered, if we still need it, the peer has room, and the relay
   * is not the one to ask (it serves at once, and has not failed this chunk).
   */
  private tryChunk(job: FetchJob, index: number, peer: PeerState): void {
    const { opts } = this.host;
    if (job.done || !wanted(job, index)) return;
    if (job.desc.chunkSize > opts.maxPeerChunkBytes) return;
    if (this.host.relay && !this.relayWindow.busy(opts.clock.now()) && !job.relayNotBefore.has(index)) return;
    if (peer.inflight >= inflightLimit(peer, opts.maxInflightPerPeer)) return;
    this.askPeer(job, index, peer);
  }

  private askPeer(job: FetchJob, index: number, peer: PeerState): void {
    const { clock, requestTimeoutMs, probationTimeoutMs } = this.host.opts;
    this.busy(job);
    peer.inflight++;
    const askedAt = clock.now();
    const deadline = deadlineFor(peer, requestTimeoutMs, probationTimeoutMs, this.answerMs);
    const timer = watchPeerRequest(clock, peer, askedAt, deadline, {
      pending: () => job.inflight.get(index)?.from === peer.link.id,
      rearmed: (timer) => job.inflight.set(index, { from: peer.link.id, at: askedAt, timer }),
      overdue: (now) => this.overdue(job, index, peer, askedAt, now),
    });
    job.inflight.set(index, { from: peer.link.id, at: askedAt, timer });
    this.host.send(peer, { type: PeerMessageType.get, sha256: job.desc.sha256, index });
  }

  /** A request to `peer` asked at `askedAt` is overdue: it is asked elsewhere, and the peer struck. */
  private overdue(job: FetchJob, index: number, peer: PeerState, askedAt: number, now: number): void {
    this.host.stats.peerTimeouts++;
    peer.unlearn(job.desc.sha256, index, now + 10 * REFUSAL_BACKOFF_MS);
    settleRequest(job, index, peer, this.host.opts.clock);
    peer.askedLate(job.desc.sha256, index);
    // A peer that keeps claiming chunks it never sends is let go, and not asked again.
    if (strikeTimeout(peer, askedAt, now)) this.host.removePeer(peer.link.id, true);
    this.pump(job);
  }

  private askRelay(job: FetchJob, index: number, relay: RelaySource): void {
    this.busy(job);
    const relayWindow = this.relayWindow;
    relayWindow.inflight++;
    const askedAt = this.host.opts.clock.now();
    job.inflight.set(index, { from: RELAY, at: askedAt, timer: undefined });
    // With links, or while links can be made on demand: the relay's `blob.defer` is what makes us dial.
    const mayDefer = (this.host.peers.size > 0 || this.host.linking()) && !this.starvation.isStarved;
    void relay.getChunk(job.desc.sha256, index, mayDefer).then(async (answer) => {
      relayWindow.inflight--;
      if (job.inflight.get(index)?.from === RELAY) job.inflight.delete(index);
      if (job.done) return this.pumpAll();
      if (answer.kind === 'chunk') {
        this.answered(askedAt);
        relayWindow.served(mayDefer);
        const added = await verifyChunk(job, index, answer.bytes);
        if (added.ok && added.value) {
          this.host.stats.bytesFromRelay += answer.bytes.length;
          this.gained(job, index);
        }
        if (!added.ok) this.backOffRelay(job, index, 1000);
      } else if (answer.kind === 'deferred') {
        const now = this.host.opts.clock.now();
        // From now on we wait on peers: the starvation clock starts here, not at the job's start.
        if (!relayWindow.defers(now)) this.starvation.waitFrom(now);
        job.deferred.add(index);
        relayWindow.deferred(now);
        this.host.wantPeers();
        this.swarmCarries(job);
        this.backOffRelay(job, index, answer.retryAfterMs);
      } else {
        // Trouble at the relay (no connection, no answer in time): peers first for a while.
        // (Links on demand are not made for this: dialling goes through the relay's signaling server,
        // and a relay slow on a loaded machine is not a relay that defers.)
        relayWindow.failed(this.host.opts.clock.now());
        this.backOffRelay(job, index, 1000);
      }
      this.pumpAll();
    });
  }

  /** True while the swarm carries patches: the relay deferred us, or peers gave us chunks, lately. */
  swarmCarrying(): boolean {
    const now = this.host.opts.clock.now();
    return this.relayWindow.busy(now) || now < this.starvation.lastPeerChunkAt + this.host.opts.relayBusyMs;
  }

  /** Peers fetch these blobs through the swarm (they told us chunk by chunk, or said hello again). */
  peerFetches(sha256s: Iterable<string>): void {
    for (const sha256 of sha256s) {
      const job = this.jobs.get(sha256);
      if (job) this.swarmCarries(job);
    }
  }

  /**
   * Peers carry this blob from now on: they hear at once what we hold of it and fetch (one
   * `peer.hello`, listing it even if we hold none of it yet), and every chunk we gain after.
   */
  private swarmCarries(job: FetchJob): void {
    if (job.swarmCarries) return;
    job.swarmCarries = true;
    job.unannounced.length = 0;
    this.host.greet();
  }

  private answered(askedAt: number): void {
    this.answerMs = nextAnswerMs(this.answerMs, this.host.opts.clock.now() - askedAt);
  }

  private backOffRelay(job: FetchJob, index: number, ms: number): void {
    const until = this.host.opts.clock.now() + ms;
    job.relayNotBefore.set(index, until);
    this.wakeAt(job, until);
  }

  /**
   * A verified chunk arrived: tell peers, report progress, finish the blob when whole. While the
   * relay serves at once, peers get a chunk from it as fast as from us, and a `have` per chunk to
   * every peer would cost more than it saves: those are told when the swarm starts carrying the blob
   * (`swarmCarries`), or as one `have all` once the blob is whole (`peer-news.ts`: after a quiet
   * moment).
   */
  private gained(job: FetchJob, index: number): void {
    if (job.swarmCarries) this.host.broadcast({ type: PeerMessageType.have, sha256: job.desc.sha256, index });
    else job.unannounced.push(index);
    for (const cb of job.progress) cb(job.asm.receivedBytes, job.desc.size);
    if (job.asm.complete) {
      void job.asm.assemble().then((whole) => {
        if (whole.ok) {
          this.host.held.holdAssembled(job);
          if (job.unannounced.length > 0) this.host.holding(job.desc.sha256);
        }
        this.finish(job, whole);
      });
    }
  }

  /** Pumps `job` again at `at` (see `wakeJobAt`). */
  private wakeAt(job: FetchJob, at: number): void {
    wakeJobAt(job, at, this.host.opts.clock, () => this.pump(job));
  }

  private finish(job: FetchJob, result: Result<Uint8Array> | null): void {
    if (job.done) return;
    job.done = true;
    this.busy(job);
    this.jobs.delete(job.desc.sha256);
    endRequests(job, this.host.opts.clock, this.host.peers);
    if (result) for (const resolve of job.waiters.splice(0)) resolve(result);
    if (this.jobs.size === 0) this.starvation.set(false);
  }
}
