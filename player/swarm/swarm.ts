/**
 * The swarm: how players of a room pass releases and blob chunks to each other. Transport-free — it
 * talks to {@link PeerLink}s and a {@link RelaySource} — so the same code runs in browsers (PeerJS),
 * in Node peers (node-datachannel) and in the simulation (in-memory links on a virtual clock).
 *
 * This file keeps the links and routes what they say; the jobs are the parts':
 * `chunk-scheduler.ts` (who is asked for which chunk, and when), `peer-score.ts` (which peer),
 * `fetch-job.ts` and `held-blobs.ts` (chunk bookkeeping of downloads and of what we serve),
 * `release-forwarding.ts` (passing releases on), `peer-news.ts` (when peers hear what we hold).
 */
import type { BlobDescriptor } from '../../protocol/blobs.ts';
import { ErrorCode, fail, ok, type Result } from '../../protocol/errors.ts';
import type { SignedRelease } from '../../protocol/release.ts';
import {
  decodeBitfield,
  encodeChunkFrame,
  encodePeerMessage,
  parsePeerMessage,
  PeerMessageType,
  type PeerMessage,
} from '../../protocol/swarm/wire.ts';
import { ChunkScheduler } from './chunk-scheduler.ts';
import { HeldBlobs } from './held-blobs.ts';
import { PeerNews } from './peer-news.ts';
import { PeerState, type PeerLink } from './peer.ts';
import { ReleaseInbox, sendRelease } from './release-forwarding.ts';
import {
  resolveSwarmOptions,
  type ResolvedSwarmOptions,
  type SwarmOptions,
  type SwarmStats,
} from './swarm-options.ts';

export type { RelayAnswer, RelaySource } from '../core/transport.ts';
export type { SwarmOptions, SwarmStats } from './swarm-options.ts';

/** One player's view of the swarm of its room. */
export class Swarm {
  readonly stats: SwarmStats = {
    bytesFromPeers: 0,
    bytesFromRelay: 0,
    bytesToPeers: 0,
    badChunks: 0,
    peersDropped: 0,
    messagesToPeers: 0,
    messagesFromPeers: 0,
    chunksFromPeers: 0,
    peerTimeouts: 0,
    peerRefusals: 0,
    idleMs: 0,
  };
  private readonly opts: ResolvedSwarmOptions;
  private readonly peers = new Map<string, PeerState>();
  /** Complete blobs we can serve. */
  private readonly held = new HeldBlobs();
  private readonly banned = new Set<string>();
  private readonly scheduler: ChunkScheduler;
  private readonly inbox: ReleaseInbox;
  private readonly news: PeerNews;
  private current: SignedRelease | null = null;
  private closed = false;

  constructor(private readonly options: SwarmOptions) {
    this.opts = resolveSwarmOptions(options);
    this.inbox = new ReleaseInbox(
      options.onPeerRelease,
      () => this.seq,
      (peer) => this.removePeer(peer.link.id, true),
    );
    this.scheduler = new ChunkScheduler({
      opts: this.opts,
      relay: options.relay,
      stats: this.stats,
      peers: this.peers,
      held: this.held,
      isClosed: () => this.closed,
      send: (peer, message) => this.send(peer, message),
      broadcast: (message) => this.broadcast(message),
      holding: (sha256) => this.news.holding(sha256, this.scheduler.swarmCarrying()),
      greet: () => {
        for (const peer of this.peers.values()) this.greet(peer);
      },
      removePeer: (id, ban) => this.removePeer(id, ban),
      wantPeers: () => this.options.onPeersWanted?.(),
      linking: () => this.options.linking?.() ?? false,
    });
    this.news = new PeerNews({
      opts: this.opts,
      peers: this.peers,
      send: (peer, message) => this.send(peer, message),
      sendRelease: (peer, signed) => this.sendRelease(peer, signed),
    });
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
    if (this.peers.size === 1) this.scheduler.linked();
    this.greet(peer);
    this.options.onPeersChanged?.(this.peers.size);
    return true;
  }

  /** Closes a link and asks elsewhere for what it owed us. */
  removePeer(id: string, ban = false): void {
    const peer = this.peers.get(id);
    if (ban) this.banned.add(id);
    if (peer) peer.link.close(); // its close handler calls forget()
  }

  /**
   * Tells the swarm we accepted `signed`: peers that hold less get it (at once while the swarm
   * carries patches, else after a quiet moment: `peer-news.ts`); old blobs are let go.
   */
  announce(signed: SignedRelease): void {
    if (signed.release.seq <= this.seq) return;
    this.current = signed;
    const wanted = new Set(Object.values(signed.release.slots).map((s) => s.sha256));
    this.held.keepOnly(wanted, (sha) => this.scheduler.job(sha) !== undefined);
    this.news.passOn(signed, this.scheduler.swarmCarrying());
  }

  /** Offers a complete, verified blob (from cache or just fetched) to peers. */
  hold(desc: BlobDescriptor, bytes: Uint8Array): void {
    if (!this.held.holdBytes(desc, bytes)) return;
    this.news.holding(desc.sha256, this.scheduler.swarmCarrying());
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
    return this.scheduler.fetch(desc, opts);
  }

  /** Drops every link and download. */
  close(): void {
    this.closed = true;
    this.news.close();
    this.scheduler.finishAll(fail(ErrorCode.SERVER_SHUTDOWN, 'swarm closed'));
    for (const peer of [...this.peers.values()]) peer.link.close();
  }

  // ---- sending ---------------------------------------------------------------------------------

  /** Sends a control message; a link that fails to take it is dropped. */
  private send(peer: PeerState, message: PeerMessage): void {
    try {
      this.stats.messagesToPeers++;
      peer.link.send(encodePeerMessage(message));
    } catch {
      this.removePeer(peer.link.id);
    }
  }

  /** `peer.hello`: the seq we hold, what we hold, and what we fetch through the swarm. */
  private greet(peer: PeerState): void {
    const have = this.held.haveMap(this.scheduler.all());
    this.send(peer, { type: PeerMessageType.hello, seq: this.seq, have });
  }

  /**
   * Sends a control message to every link — a chunk's `peer.have` only to links that have not told
   * us they hold that chunk (the peer that gave it to us, and about half of the others while a
   * patch spreads): they will never ask us for it, and every data channel message costs both ends
   * CPU (docs/swarm.md#benchmark, eighth round).
   */
  private broadcast(message: PeerMessage): void {
    for (const peer of this.peers.values()) {
      if (message.type === PeerMessageType.have && !message.all && peer.claims(message.sha256, message.index))
        continue;
      this.send(peer, message);
    }
  }

  // ---- receiving -------------------------------------------------------------------------------

  private onMessage(peer: PeerState, data: string | Uint8Array): void {
    if (!this.peers.has(peer.link.id)) return;
    this.stats.messagesFromPeers++;
    if (typeof data !== 'string') {
      void this.scheduler.received(peer, data);
      return;
    }
    const parsed = parsePeerMessage(data);
    if (!parsed.ok) {
      this.removePeer(peer.link.id, true);
      return;
    }
    const msg = parsed.value;
    switch (msg.type) {
      case PeerMessageType.hello: {
        const again = peer.greeted;
        peer.greeted = true;
        // A hello again: it now fetches the blobs it lists through the swarm (`swarmCarries`). A first
        // hello that lists a blob it holds only part of: it fetches that one through the swarm (a
        // player that links on demand dials once the relay defers it, in the middle of a download).
        const fetching: string[] = [];
        for (const [sha, bits] of Object.entries(msg.have)) {
          const indexes = this.indexesOf(sha, bits);
          peer.learn(sha, indexes);
          const count = this.chunkCountOf(sha);
          if (again || (count > 0 && indexes.length < count)) fetching.push(sha);
        }
        if (this.current && Math.max(peer.seq, msg.seq) < this.seq) this.sendRelease(peer, this.current);
        peer.seq = Math.max(peer.seq, msg.seq);
        if (fetching.length > 0) this.swarmNeeded(peer, fetching);
        this.scheduler.pumpAll();
        break;
      }
      case PeerMessageType.have:
        if (msg.all) peer.learnAll(msg.sha256);
        else peer.learn(msg.sha256, [msg.index]);
        // Chunk by chunk: it fetches that blob through the swarm.
        if (!msg.all) this.swarmNeeded(peer, [msg.sha256]);
        this.scheduler.offered(peer, msg.sha256, msg.index, msg.all === true);
        break;
      case PeerMessageType.release:
        peer.seq = Math.max(peer.seq, msg.signed.release.seq);
        this.inbox.receive(peer, msg.signed);
        break;
      case PeerMessageType.get:
        this.serve(peer, msg.sha256, msg.index);
        break;
      case PeerMessageType.none:
        this.scheduler.refused(peer, msg.sha256, msg.index);
        break;
    }
  }

  /**
   * `peer` fetches these blobs through the swarm: it hears at once what we would otherwise tell it
   * after a quiet moment, and our own downloads of them tell peers what they gain.
   */
  private swarmNeeded(peer: PeerState, sha256s: readonly string[]): void {
    this.news.tellNow(peer);
    this.scheduler.peerFetches(sha256s);
  }

  private serve(peer: PeerState, sha256: string, index: number): void {
    const bytes = (this.held.get(sha256) ?? this.scheduler.job(sha256)?.asm)?.chunk(index);
    if (!bytes || peer.queued >= this.opts.maxUploadQueue) {
      this.send(peer, { type: PeerMessageType.none, sha256, index });
      return;
    }
    this.stats.bytesToPeers += bytes.length;
    this.stats.messagesToPeers++;
    peer.sendFrame(encodeChunkFrame({ sha256, index, bytes }));
  }

  private forget(peer: PeerState): void {
    if (this.peers.get(peer.link.id) !== peer) return;
    this.peers.delete(peer.link.id);
    this.stats.peersDropped++;
    this.scheduler.forget(peer);
    this.options.onPeersChanged?.(this.peers.size);
    this.scheduler.pumpAll();
  }

  private sendRelease(peer: PeerState, signed: SignedRelease): void {
    if (!sendRelease(peer, signed)) this.removePeer(peer.link.id);
  }

  private chunkCountOf(sha256: string): number {
    const known = this.held.get(sha256)?.desc ?? this.scheduler.job(sha256)?.desc;
    if (known) return known.chunks.length;
    for (const slot of Object.values(this.current?.release.slots ?? {})) {
      if (slot.sha256 === sha256) return slot.chunks.length;
    }
    return 0;
  }

  private indexesOf(sha256: string, bits: string): number[] {
    return decodeBitfield(bits, this.chunkCountOf(sha256) || 4096 * 8);
  }
}
