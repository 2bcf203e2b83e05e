/**
 * The swarm's knobs and counters: {@link SwarmOptions} as a caller gives them, and the same with every
 * default filled in, as the swarm's parts read them.
 */
import { sha256Hex } from '../../protocol/crypto.ts';
import type { Hasher } from '../../protocol/blobs.ts';
import type { RelaySource } from '../core/transport.ts';
import { realClock, type Clock } from './clock.ts';
import type { ReleaseCheck } from './release-forwarding.ts';

/** Byte and event counters, reported in heartbeats and status. */
export interface SwarmStats {
  bytesFromPeers: number;
  bytesFromRelay: number;
  bytesToPeers: number;
  badChunks: number;
  peersDropped: number;
  /** Data channel messages sent to peers (control messages and chunk frames). */
  messagesToPeers: number;
  /** Data channel messages received from peers. */
  messagesFromPeers: number;
  /** Verified chunks from peers. */
  chunksFromPeers: number;
  /** Requests to peers that passed their deadline, and that were answered `peer.none`. */
  peerTimeouts: number;
  peerRefusals: number;
  /**
   * Milliseconds downloads spent with chunks missing and none asked of anyone (nothing in flight or
   * being checked): waiting on a relay back-off or for a peer to offer a chunk.
   */
  idleMs: number;
}

/** Options of `Swarm`. */
export interface SwarmOptions {
  readonly relay: RelaySource | null;
  /**
   * Called with a release a peer passed on; the owner checks it with `acceptRelease` and may answer
   * with a verdict: `forged` bans the peer, `refused` counts against it (`release-forwarding.ts`).
   */
  readonly onPeerRelease?: ReleaseCheck;
  readonly onPeersChanged?: (count: number) => void;
  /**
   * The relay deferred a chunk to our peers (it is the bottleneck): links are wanted. A
   * player that makes links on demand starts dialling here (`PeerMesh.want`).
   */
  readonly onPeersWanted?: () => void;
  /**
   * True while links can be made on demand though none is up yet (the signaling server is reachable,
   * and a first dial has not been given up on): the relay may then defer our requests (`defer: true`)
   * even before we have a link — its `blob.defer` is what makes us dial. Default: never.
   */
  readonly linking?: () => boolean;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly hash?: Hasher;
  /** Most links kept (default 6). */
  readonly maxPeers?: number;
  /** Requests in flight to one peer (default 4). */
  readonly maxInflightPerPeer?: number;
  /**
   * Relay requests in flight while the relay defers us to our peers (default 2), and otherwise —
   * without peers, or while the relay serves at once (default 16): a relay that serves at once has
   * room, and a swarm must not be slower than the relay alone.
   */
  readonly relayInflightWithPeers?: number;
  readonly relayInflightAlone?: number;
  /**
   * Relay requests in flight while starved (default 2): the relay serves them whatever its load, so a
   * starved player is rescued a few chunks at a time while its peers catch up, rather than taking a
   * whole copy of the blob out of an egress the relay is short of.
   */
  readonly relayInflightStarved?: number;
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
  /** A request to a peer that has not delivered yet counts as stalled after this (default 1000 ms). */
  readonly probationTimeoutMs?: number;
  /**
   * A download that got no chunk from peers for this long, though we have peers, tells the relay we
   * are starved (`swarm.starved`): the relay then serves us directly (default 1500 ms).
   */
  readonly starvedAfterMs?: number;
  /** After a `blob.defer` (and no chunk from the relay since), the relay counts as busy this long (default 2000 ms). */
  readonly relayBusyMs?: number;
  /**
   * While the relay serves at once, what we hold (a release, a whole blob) is told to peers this long
   * (plus up to half again, at random) after we got it, not at once (default 1000 ms; `peer-news.ts`).
   */
  readonly quietNewsMs?: number;
}

/** {@link SwarmOptions} with the defaults filled in (the callbacks and the relay stay with the swarm). */
export type ResolvedSwarmOptions = Required<
  Omit<SwarmOptions, 'onPeerRelease' | 'onPeersChanged' | 'onPeersWanted' | 'linking' | 'relay'>
>;

/** Fills in the defaults. */
export function resolveSwarmOptions(options: SwarmOptions): ResolvedSwarmOptions {
  return {
    clock: options.clock ?? realClock,
    random: options.random ?? Math.random,
    hash: options.hash ?? sha256Hex,
    maxPeers: options.maxPeers ?? 6,
    maxInflightPerPeer: options.maxInflightPerPeer ?? 4,
    relayInflightWithPeers: options.relayInflightWithPeers ?? 2,
    relayInflightAlone: options.relayInflightAlone ?? 16,
    relayInflightStarved: options.relayInflightStarved ?? 2,
    requestTimeoutMs: options.requestTimeoutMs ?? 2000,
    maxUploadQueue: options.maxUploadQueue ?? 16,
    bufferHighWater: options.bufferHighWater ?? 1024 * 1024,
    maxPeerChunkBytes: options.maxPeerChunkBytes ?? 192 * 1024,
    peerStallMs: options.peerStallMs ?? 750,
    probationTimeoutMs: options.probationTimeoutMs ?? 500,
    starvedAfterMs: options.starvedAfterMs ?? 1500,
    relayBusyMs: options.relayBusyMs ?? 2000,
    quietNewsMs: options.quietNewsMs ?? 1000,
  };
}
