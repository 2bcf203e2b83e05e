/**
 * The swarm: how players of a room pass releases and blob chunks to each other. Transport-free — it
 * talks to {@link PeerLink}s and a {@link RelaySource} — so the same code runs in browsers (PeerJS),
 * in Node peers (node-webrtc) and in the simulation (in-memory links on a virtual clock).
 *
 * A player fetches a blob chunk by chunk: from a peer that says it holds the chunk, several peers at
 * once, each chunk verified against the signed release's chunk hashes before it is kept or passed on;
 * from the relay only what no peer gives it in time. A peer that sends a bad chunk is dropped and
 * never asked again.
 */
import { BlobAssembler, sliceChunk, type BlobDescriptor, type Hasher } from '../../protocol/blobs.ts';
import { concatBytes } from '../../protocol/bytes.ts';
import { sha256Hex } from '../../protocol/crypto.ts';
import { ErrorCode, fail, ok, type Result } from '../../protocol/errors.ts';
import type { SignedRelease } from '../../protocol/release.ts';
import type { RelayAnswer, RelaySource } from '../core/transport.ts';
import { realClock, type Clock, type TimerHandle } from './clock.ts';
import { PeerState, type PeerLink } from './peer.ts';
import {
  decodeBitfield,
  decodeChunkFrame,
  encodeBitfield,
  encodeChunkFrame,
  encodePeerMessage,
  MAX_PEER_TEXT_BYTES,
  parsePeerMessage,
  PeerMessageType,
  type PeerMessage,
} from '../../protocol/swarm/wire.ts';

export type { RelayAnswer, RelaySource } from '../core/transport.ts';

/** Byte and event counters, reported in heartbeats and status. */
export interface SwarmStats {
  bytesFromPeers: number;
  bytesFromRelay: number;
  bytesToPeers: number;
  badChunks: number;
  peersDropped: number;
}

/** Options of {@link Swarm}. */
export interface SwarmOptions {
  readonly relay: RelaySource | null;
  /** Called with a release a peer passed on; the owner checks it with `acceptRelease`. */
  readonly onPeerRelease?: (candidate: SignedRelease, fromPeer: string) => void;
  readonly onPeersChanged?: (count: number) => void;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly hash?: Hasher;
  /** Most links kept (default 6). */
  readonly maxPeers?: number;
  /** Requests in flight to one peer (default 4). */
  readonly maxInflightPerPeer?: number;
  /** Relay requests in flight while we have peers (default 2) and without (default 16). */
  readonly relayInflightWithPeers?: number;
  readonly relayInflightAlone?: number;
  /** A peer request unanswered after this is asked elsewhere (default 2000 ms). */
  readonly requestTimeoutMs?: number;
  /** Uploads queued per peer before we answer `peer.none` (default 16). */
  readonly maxUploadQueue?: number;
  /** Data channel buffer high-water mark (default 1 MiB). */
  readonly bufferHighWater?: number;
  /** Chunks larger than this go through the relay only (data channel message limit). */
  readonly maxPeerChunkBytes?: number;
  /** Peers that delivered nothing for this long count as stalled: the relay is asked (default 750 ms). */
  readonly peerStallMs?: number;
}

/** A complete blob we can serve, chunk by chunk. */
interface HeldBlob {
  readonly desc: BlobDescriptor;
  chunk(index: number): Uint8Array | undefined;
  whole(): Uint8Array;
}

interface Job {
  readonly desc: BlobDescriptor;
  readonly asm: BlobAssembler;
  readonly order: number[];
  /** chunk → where it was asked for, and the timer that gives up on it. */
  readonly inflight: Map<number, { readonly from: string; readonly timer: TimerHandle }>;
  readonly relayNotBefore: Map<number, number>;
  /** Chunks the relay said our peers can give us. */
  readonly deferred: Set<number>;
  readonly waiters: ((result: Result<Uint8Array>) => void)[];
  readonly progress: ((received: number, total: number) => void)[];
  done: boolean;
  wakeAt: number | null;
  wakeTimer: TimerHandle;
}

const RELAY = '(relay)';
/** Requests a peer may let time out before the link is dropped. */
const MAX_PEER_TIMEOUTS = 8;
/** How long a peer that said `peer.none` for a chunk is not asked for it again. */
const REFUSAL_BACKOFF_MS = 250;

/** One player's view of the swarm of its room. */
export class Swarm {
  readonly stats: SwarmStats = {
    bytesFromPeers: 0,
    bytesFromRelay: 0,
    bytesToPeers: 0,
    badChunks: 0,
    peersDropped: 0,
  };
  private readonly opts: Required<Omit<SwarmOptions, 'onPeerRelease' | 'onPeersChanged' | 'relay'>>;
  private readonly relay: RelaySource | null;
  private readonly peers = new Map<string, PeerState>();
  private readonly banned = new Set<string>();
  /** Complete blobs we can serve. */
  private readonly held = new Map<string, HeldBlob>();
  private readonly jobs = new Map<string, Job>();
  private current: SignedRelease | null = null;
  private relayInflight = 0;
  private lastPeerChunkAt = -Infinity;
  private closed = false;

  constructor(private readonly options: SwarmOptions) {
    this.relay = options.relay;
    this.opts = {
      clock: options.clock ?? realClock,
      random: options.random ?? Math.random,
      hash: options.hash ?? sha256Hex,
      maxPeers: options.maxPeers ?? 6,
      maxInflightPerPeer: options.maxInflightPerPeer ?? 4,
      relayInflightWithPeers: options.relayInflightWithPeers ?? 2,
      relayInflightAlone: options.relayInflightAlone ?? 16,
      requestTimeoutMs: options.requestTimeoutMs ?? 2000,
      maxUploadQueue: options.maxUploadQueue ?? 16,
      bufferHighWater: options.bufferHighWater ?? 1024 * 1024,
      maxPeerChunkBytes: options.maxPeerChunkBytes ?? 192 * 1024,
      peerStallMs: options.peerStallMs ?? 750,
    };
  }

  /** Seq of the release we hold (0 for none). */
  get seq(): number {
    return this.current?.release.seq ?? 0;
  }

  /** Number of live links. */
  get peerCount(): number {
    return this.peers.size;
  }

  /** Ids of live links. */
  peerIds(): string[] {
    return [...this.peers.keys()];
  }

  /** True when another link fits and this peer was never dropped for misbehaving. */
  canAdd(id: string): boolean {
    return (
      !this.closed && !this.banned.has(id) && !this.peers.has(id) && this.peers.size < this.opts.maxPeers
    );
  }

  /** Takes a link; refuses it (closing it) when full, duplicate or banned. */
  addPeer(link: PeerLink): boolean {
    if (!this.canAdd(link.id)) {
      link.close();
      return false;
    }
    const peer = new PeerState(link, this.opts.bufferHighWater);
    this.peers.set(link.id, peer);
    link.attach({
      message: (data) => this.onMessage(peer, data),
      drain: () => peer.flush(),
      close: () => this.forget(peer),
    });
    this.send(peer, { type: PeerMessageType.hello, seq: this.seq, have: this.haveMap() });
    this.options.onPeersChanged?.(this.peers.size);
    return true;
  }

  /** Closes a link and asks elsewhere for what it owed us. */
  removePeer(id: string, ban = false): void {
    const peer = this.peers.get(id);
    if (ban) this.banned.add(id);
    if (peer) peer.link.close(); // its close handler calls forget()
  }

  /** Tells the swarm we accepted `signed`: peers that hold less get it; old blobs are let go. */
  announce(signed: SignedRelease): void {
    if (signed.release.seq <= this.seq) return;
    this.current = signed;
    const wanted = new Set(Object.values(signed.release.slots).map((s) => s.sha256));
    for (const sha of this.held.keys()) if (!wanted.has(sha) && !this.jobs.has(sha)) this.held.delete(sha);
    for (const peer of this.peers.values()) if (peer.seq < signed.release.seq) this.sendRelease(peer, signed);
  }

  /** Offers a complete, verified blob (from cache or just fetched) to peers. */
  hold(desc: BlobDescriptor, bytes: Uint8Array): void {
    if (this.held.has(desc.sha256)) return;
    this.held.set(desc.sha256, {
      desc,
      chunk: (i) => (i < desc.chunks.length ? sliceChunk(bytes, i, desc.chunkSize) : undefined),
      whole: () => bytes,
    });
    this.broadcast({ type: PeerMessageType.have, sha256: desc.sha256, index: 0, all: true });
  }

  /**
   * Fetches a blob, verified chunk by chunk; resolves once whole. Several calls for one blob share the
   * work. `signal` abandons the wait (the download stops when nobody waits for it any more).
   */
  fetch(
    desc: BlobDescriptor,
    opts: { signal?: AbortSignal; onProgress?: (received: number, total: number) => void } = {},
  ): Promise<Result<Uint8Array>> {
    const held = this.held.get(desc.sha256);
    if (held) return Promise.resolve(ok(held.whole()));
    let job = this.jobs.get(desc.sha256);
    if (!job) {
      job = {
        desc,
        asm: new BlobAssembler(desc, this.opts.hash),
        order: this.shuffled(desc.chunks.length),
        inflight: new Map(),
        relayNotBefore: new Map(),
        deferred: new Set(),
        waiters: [],
        progress: [],
        done: false,
        wakeAt: null,
        wakeTimer: undefined,
      };
      this.jobs.set(desc.sha256, job);
    }
    const theJob = job;
    if (opts.onProgress) theJob.progress.push(opts.onProgress);
    const result = new Promise<Result<Uint8Array>>((resolve) => {
      theJob.waiters.push(resolve);
      opts.signal?.addEventListener('abort', () => {
        const i = theJob.waiters.indexOf(resolve);
        if (i >= 0) theJob.waiters.splice(i, 1);
        resolve(fail(ErrorCode.INTERNAL, 'fetch aborted'));
        if (theJob.waiters.length === 0) this.finish(theJob, null);
      });
    });
    this.pump(theJob);
    return result;
  }

  /** Drops every link and download. */
  close(): void {
    this.closed = true;
    for (const job of this.jobs.values()) this.finish(job, fail(ErrorCode.SERVER_SHUTDOWN, 'swarm closed'));
    for (const peer of [...this.peers.values()]) peer.link.close();
  }

  // ---- receiving -------------------------------------------------------------------------------

  private onMessage(peer: PeerState, data: string | Uint8Array): void {
    if (!this.peers.has(peer.link.id)) return;
    if (typeof data !== 'string') {
      void this.onChunk(peer, data);
      return;
    }
    const parsed = parsePeerMessage(data);
    if (!parsed.ok) {
      this.removePeer(peer.link.id, true);
      return;
    }
    const msg = parsed.value;
    switch (msg.type) {
      case PeerMessageType.hello:
        for (const [sha, bits] of Object.entries(msg.have)) peer.learn(sha, this.indexesOf(sha, bits));
        if (this.current && Math.max(peer.seq, msg.seq) < this.seq) this.sendRelease(peer, this.current);
        peer.seq = Math.max(peer.seq, msg.seq);
        this.pumpAll();
        break;
      case PeerMessageType.have: {
        if (msg.all) peer.learnAll(msg.sha256);
        else peer.learn(msg.sha256, [msg.index]);
        const job = this.jobs.get(msg.sha256);
        // One new chunk on offer: try just that one (a full pump per `have` is quadratic in a swarm).
        if (job && !msg.all) this.tryChunk(job, msg.index, peer);
        else if (job) this.pump(job);
        break;
      }
      case PeerMessageType.release:
        peer.seq = Math.max(peer.seq, msg.signed.release.seq);
        if (msg.signed.release.seq > this.seq) this.options.onPeerRelease?.(msg.signed, peer.link.id);
        break;
      case PeerMessageType.get:
        this.serve(peer, msg.sha256, msg.index);
        break;
      case PeerMessageType.none: {
        peer.unlearn(msg.sha256, msg.index, this.opts.clock.now() + REFUSAL_BACKOFF_MS);
        const job = this.jobs.get(msg.sha256);
        const pending = job?.inflight.get(msg.index);
        if (job && pending?.from === peer.link.id) this.settle(job, msg.index, peer);
        if (job) {
          this.pump(job);
          // It may be askable again once the refusal lapses; look again then.
          this.wakeAt(job, this.opts.clock.now() + REFUSAL_BACKOFF_MS);
        }
        break;
      }
    }
  }

  private async onChunk(peer: PeerState, data: Uint8Array): Promise<void> {
    const frame = decodeChunkFrame(data);
    if (!frame.ok) return this.removePeer(peer.link.id, true);
    const { sha256, index, bytes } = frame.value;
    const job = this.jobs.get(sha256);
    const pending = job?.inflight.get(index);
    // Only what we asked this peer for: unsolicited bytes are not ours to hold.
    if (!job || pending?.from !== peer.link.id) return;
    this.settle(job, index, peer);
    const added = await job.asm.add(index, bytes);
    if (!added.ok) {
      this.stats.badChunks++;
      this.removePeer(peer.link.id, true);
    } else if (added.value) {
      this.stats.bytesFromPeers += bytes.length;
      this.lastPeerChunkAt = this.opts.clock.now();
      this.gained(job, index);
    }
    this.pump(job);
  }

  private serve(peer: PeerState, sha256: string, index: number): void {
    const bytes = (this.held.get(sha256) ?? this.jobs.get(sha256)?.asm)?.chunk(index);
    if (!bytes || peer.queued >= this.opts.maxUploadQueue) {
      this.send(peer, { type: PeerMessageType.none, sha256, index });
      return;
    }
    this.stats.bytesToPeers += bytes.length;
    peer.sendFrame(encodeChunkFrame({ sha256, index, bytes }));
  }

  // ---- fetching --------------------------------------------------------------------------------

  private pumpAll(): void {
    for (const job of this.jobs.values()) this.pump(job);
  }

  /** Starts requests for missing chunks: peers that hold them first, the relay for the rest. */
  private pump(job: Job): void {
    if (job.done || this.closed) return;
    const peerOk = job.desc.chunkSize <= this.opts.maxPeerChunkBytes;
    const relayLimit = this.peers.size > 0 ? this.opts.relayInflightWithPeers : this.opts.relayInflightAlone;
    const now = this.opts.clock.now();
    // A chunk the relay has told us to get from peers ("deferred": someone has it) is asked of the
    // relay again only when our peers have gone quiet — while they keep delivering, it will most
    // likely come from them. A chunk the relay never deferred is asked at once: nobody may have it.
    const quietSince = this.lastPeerChunkAt + this.opts.peerStallMs;
    const peersQuiet = this.peers.size === 0 || !peerOk || now >= quietSince;
    if (!peersQuiet && job.deferred.size > 0) this.wakeAt(job, quietSince);
    for (const index of job.order) {
      if (job.asm.has(index) || job.inflight.has(index)) continue;
      const peer = peerOk ? this.pickPeer(job.desc.sha256, index) : undefined;
      if (peer) {
        this.askPeer(job, index, peer);
      } else if (
        this.relay &&
        (peersQuiet || !job.deferred.has(index)) &&
        this.relayInflight < relayLimit &&
        now >= (job.relayNotBefore.get(index) ?? 0)
      ) {
        this.askRelay(job, index);
      }
    }
  }

  /** Asks `peer` for one chunk it just offered, if we still need it and the peer has room. */
  private tryChunk(job: Job, index: number, peer: PeerState): void {
    if (job.done || job.asm.has(index) || job.inflight.has(index)) return;
    if (job.desc.chunkSize > this.opts.maxPeerChunkBytes || peer.inflight >= this.opts.maxInflightPerPeer)
      return;
    this.askPeer(job, index, peer);
  }

  private pickPeer(sha256: string, index: number): PeerState | undefined {
    let best: PeerState | undefined;
    const now = this.opts.clock.now();
    for (const peer of this.peers.values()) {
      if (peer.inflight >= this.opts.maxInflightPerPeer || !peer.holds(sha256, index, now)) continue;
      if (
        !best ||
        peer.inflight < best.inflight ||
        (peer.inflight === best.inflight && this.opts.random() < 0.5)
      ) {
        best = peer;
      }
    }
    return best;
  }

  private askPeer(job: Job, index: number, peer: PeerState): void {
    peer.inflight++;
    const timer = this.opts.clock.setTimeout(() => {
      if (job.inflight.get(index)?.from !== peer.link.id) return;
      peer.timeouts++;
      peer.unlearn(job.desc.sha256, index, this.opts.clock.now() + 10 * REFUSAL_BACKOFF_MS);
      this.settle(job, index, peer);
      // A peer that keeps claiming chunks it never sends is let go (not banned: it may be slow).
      if (peer.timeouts >= MAX_PEER_TIMEOUTS) this.removePeer(peer.link.id);
      this.pump(job);
    }, this.opts.requestTimeoutMs);
    job.inflight.set(index, { from: peer.link.id, timer });
    this.send(peer, { type: PeerMessageType.get, sha256: job.desc.sha256, index });
  }

  private askRelay(job: Job, index: number): void {
    const relay = this.relay!;
    this.relayInflight++;
    job.inflight.set(index, { from: RELAY, timer: undefined });
    const mayDefer = this.peers.size > 0;
    void relay.getChunk(job.desc.sha256, index, mayDefer).then(async (answer) => {
      this.relayInflight--;
      if (job.inflight.get(index)?.from === RELAY) job.inflight.delete(index);
      if (job.done) return this.pumpAll();
      if (answer.kind === 'chunk') {
        const added = await job.asm.add(index, answer.bytes);
        if (added.ok && added.value) {
          this.stats.bytesFromRelay += answer.bytes.length;
          this.gained(job, index);
        }
        if (!added.ok) this.backOffRelay(job, index, 1000);
      } else if (answer.kind === 'deferred') {
        job.deferred.add(index);
        this.backOffRelay(job, index, answer.retryAfterMs);
      } else {
        this.backOffRelay(job, index, 1000);
      }
      this.pumpAll();
    });
  }

  private backOffRelay(job: Job, index: number, ms: number): void {
    const until = this.opts.clock.now() + ms;
    job.relayNotBefore.set(index, until);
    this.wakeAt(job, until);
  }

  /** Pumps `job` again at `at` (one timer per job: the earliest wins, later ones re-arm). */
  private wakeAt(job: Job, at: number): void {
    if (job.wakeAt !== null && job.wakeAt <= at) return;
    this.opts.clock.clearTimeout(job.wakeTimer);
    job.wakeAt = at;
    job.wakeTimer = this.opts.clock.setTimeout(
      () => {
        job.wakeAt = null;
        this.pump(job);
      },
      at - this.opts.clock.now() + 1,
    );
  }

  /** Clears a request to a peer (answered, refused or timed out). */
  private settle(job: Job, index: number, peer: PeerState): void {
    const pending = job.inflight.get(index);
    if (!pending || pending.from !== peer.link.id) return;
    this.opts.clock.clearTimeout(pending.timer);
    job.inflight.delete(index);
    peer.inflight = Math.max(0, peer.inflight - 1);
  }

  /** A verified chunk arrived: tell peers, report progress, finish the blob when whole. */
  private gained(job: Job, index: number): void {
    this.broadcast({ type: PeerMessageType.have, sha256: job.desc.sha256, index });
    for (const cb of job.progress) cb(job.asm.receivedBytes, job.desc.size);
    if (job.asm.complete) {
      void job.asm.assemble().then((whole) => {
        // Serve from the assembler's chunks rather than the whole: the owner keeps the whole (and
        // may drop it), and one copy per player is enough.
        if (whole.ok) {
          const { asm, desc } = job;
          this.held.set(desc.sha256, {
            desc,
            chunk: (i) => asm.chunk(i),
            whole: () => concatBytes(range(desc.chunks.length).map((i) => asm.chunk(i)!)),
          });
        }
        this.finish(job, whole);
      });
    }
  }

  private finish(job: Job, result: Result<Uint8Array> | null): void {
    if (job.done) return;
    job.done = true;
    this.jobs.delete(job.desc.sha256);
    for (const [index, pending] of job.inflight) {
      this.opts.clock.clearTimeout(pending.timer);
      const peer = this.peers.get(pending.from);
      if (peer) peer.inflight = Math.max(0, peer.inflight - 1);
      job.inflight.delete(index);
    }
    if (result) for (const resolve of job.waiters.splice(0)) resolve(result);
  }

  private forget(peer: PeerState): void {
    if (this.peers.get(peer.link.id) !== peer) return;
    this.peers.delete(peer.link.id);
    this.stats.peersDropped++;
    for (const job of this.jobs.values()) {
      for (const [index, pending] of job.inflight)
        if (pending.from === peer.link.id) this.settle(job, index, peer);
    }
    this.options.onPeersChanged?.(this.peers.size);
    this.pumpAll();
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private send(peer: PeerState, message: PeerMessage): void {
    try {
      peer.link.send(encodePeerMessage(message));
    } catch {
      this.removePeer(peer.link.id);
    }
  }

  /** Sends a release once per peer: after this, the peer counts as holding it. */
  private sendRelease(peer: PeerState, signed: SignedRelease): void {
    const text = encodePeerMessage({ type: PeerMessageType.release, signed });
    // A release too big for one data channel message (huge chunk lists) is left to the relay.
    if (text.length > MAX_PEER_TEXT_BYTES) return;
    peer.seq = signed.release.seq;
    try {
      peer.link.send(text);
    } catch {
      this.removePeer(peer.link.id);
    }
  }

  private broadcast(message: PeerMessage): void {
    for (const peer of this.peers.values()) this.send(peer, message);
  }

  private haveMap(): Record<string, string> {
    const have: Record<string, string> = {};
    for (const [sha, { desc }] of this.held)
      have[sha] = encodeBitfield(range(desc.chunks.length), desc.chunks.length);
    for (const [sha, job] of this.jobs) {
      const indexes = range(job.desc.chunks.length).filter((i) => job.asm.has(i));
      if (indexes.length > 0) have[sha] = encodeBitfield(indexes, job.desc.chunks.length);
    }
    return have;
  }

  private chunkCountOf(sha256: string): number {
    const known = this.held.get(sha256)?.desc ?? this.jobs.get(sha256)?.desc;
    if (known) return known.chunks.length;
    for (const slot of Object.values(this.current?.release.slots ?? {})) {
      if (slot.sha256 === sha256) return slot.chunks.length;
    }
    return 0;
  }

  private indexesOf(sha256: string, bits: string): number[] {
    return decodeBitfield(bits, this.chunkCountOf(sha256) || 4096 * 8);
  }

  private shuffled(n: number): number[] {
    const order = range(n);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.opts.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
