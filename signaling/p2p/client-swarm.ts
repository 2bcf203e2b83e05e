/**
 * The headless client's swarm: the production `Swarm` and `PeerMesh` on a node-webrtc PeerJS peer,
 * glued to the relay channel — single-chunk `blob.get` with `defer`, `blob.defer` back, `peers.get`
 * and `peers` for finding other players. `patchcast play --p2p`, the tests and the swarm benchmark
 * use it.
 */
import type { Peer } from 'peerjs';
import {
  MessageType,
  type BlobGet,
  type Message,
  type SignedRelease,
  type Slot,
  type Traffic,
} from '../../protocol/index.ts';
import { PeerMesh, type PeerMeshOptions } from '../../protocol/swarm/peerjs.ts';
import { Swarm, type RelayAnswer, type RelaySource, type SwarmOptions } from '../../protocol/swarm/swarm.ts';
import { openNodePeer, type SignalingAddress } from './node-peer.ts';

/** Relay requests not answered in this long are given up (the swarm asks again later). */
const RELAY_CHUNK_TIMEOUT_MS = 10_000;

/** The relay as a chunk source for the swarm, over whatever channel the client has open. */
export class RelayChunks implements RelaySource {
  private send: ((message: BlobGet) => boolean) | null = null;
  private readonly pending = new Map<string, { resolve: (a: RelayAnswer) => void; timer: NodeJS.Timeout }>();

  /** Sets the channel to ask on (null while disconnected: requests fail at once). */
  use(send: ((message: BlobGet) => boolean) | null): void {
    this.send = send;
    if (send === null) this.failAll('disconnected from the relay');
  }

  getChunk(sha256: string, index: number, mayDefer: boolean): Promise<RelayAnswer> {
    const key = `${sha256}:${index}`;
    this.settle(key, { kind: 'error', message: 'superseded' });
    return new Promise((resolve) => {
      const sent = this.send?.({ type: MessageType.blobGet, sha256, from: index, count: 1, defer: mayDefer });
      if (!sent) return resolve({ kind: 'error', message: 'not connected to the relay' });
      const timer = setTimeout(
        () => this.settle(key, { kind: 'error', message: 'relay timed out' }),
        RELAY_CHUNK_TIMEOUT_MS,
      );
      timer.unref();
      this.pending.set(key, { resolve, timer });
    });
  }

  /** Routes a chunk from the relay; false when nobody here asked for it. */
  chunk(sha256: string, index: number, bytes: Uint8Array): boolean {
    return this.settle(`${sha256}:${index}`, { kind: 'chunk', bytes });
  }

  /** Routes a `blob.defer`. */
  deferred(sha256: string, index: number, retryAfterMs: number): boolean {
    return this.settle(`${sha256}:${index}`, { kind: 'deferred', retryAfterMs });
  }

  private settle(key: string, answer: RelayAnswer): boolean {
    const waiting = this.pending.get(key);
    if (!waiting) return false;
    this.pending.delete(key);
    clearTimeout(waiting.timer);
    waiting.resolve(answer);
    return true;
  }

  private failAll(message: string): void {
    for (const key of [...this.pending.keys()]) this.settle(key, { kind: 'error', message });
  }
}

/** What the headless client needs of a swarm. */
export interface ClientSwarm {
  /** Our PeerJS id, sent in `hello`. */
  readonly peerId: string;
  /** Starts using a relay channel (`null` when it closes). */
  useRelay(send: ((message: Message) => boolean) | null): void;
  /** Offers a relay message; true when the swarm consumed it. */
  onRelayMessage(message: Message): boolean;
  /** Fetches a blob through peers and the relay; rejects when it can't. */
  fetch(slot: Slot): Promise<Uint8Array>;
  /** We hold this release and these blobs now: tell peers, serve them. */
  hold(signed: SignedRelease, blobs: ReadonlyMap<string, Uint8Array>): void;
  traffic(): Traffic;
  stop(): void;
}

/** Options of {@link openClientSwarm}. */
export interface ClientSwarmOptions {
  /** The relay's PeerJS server. */
  readonly signaling: SignalingAddress;
  /** A release passed on by a peer: the client checks it like one from the relay. */
  readonly onPeerRelease: (candidate: SignedRelease) => void;
  readonly peerId?: string;
  readonly iceServers?: RTCIceServer[];
  readonly swarm?: Omit<SwarmOptions, 'relay' | 'onPeerRelease'>;
  readonly mesh?: Omit<PeerMeshOptions, 'requestPeers'>;
}

/** Opens a PeerJS peer and builds the swarm around it. */
export async function openClientSwarm(options: ClientSwarmOptions): Promise<ClientSwarm> {
  const peer: Peer = await openNodePeer(options.signaling, options.peerId, options.iceServers ?? []);
  const relay = new RelayChunks();
  let send: ((message: Message) => boolean) | null = null;
  const swarm = new Swarm({
    ...options.swarm,
    relay,
    onPeerRelease: (signed) => options.onPeerRelease(signed),
  });
  const mesh = new PeerMesh(peer, swarm, {
    ...options.mesh,
    requestPeers: () => void send?.({ type: MessageType.peersGet }),
  });
  return {
    peerId: peer.id,
    useRelay(next) {
      send = next;
      relay.use(next);
    },
    onRelayMessage(message) {
      switch (message.type) {
        case MessageType.welcome:
          mesh.offer(message.peers ?? []);
          return false; // the client handles welcome too
        case MessageType.peers:
          mesh.offer(message.peers);
          return true;
        case MessageType.blob:
          return relay.chunk(
            message.sha256,
            message.index,
            new Uint8Array(Buffer.from(message.data, 'base64')),
          );
        case MessageType.blobDefer:
          return relay.deferred(message.sha256, message.index, message.retryAfterMs);
        default:
          return false;
      }
    },
    async fetch(slot) {
      const result = await swarm.fetch(slot);
      if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
      return result.value;
    },
    hold(signed, blobs) {
      swarm.announce(signed);
      for (const slot of Object.values(signed.release.slots)) {
        const bytes = blobs.get(slot.sha256);
        if (bytes) swarm.hold(slot, bytes);
      }
    },
    traffic: () => ({
      bytesFromRelay: swarm.stats.bytesFromRelay,
      bytesFromPeers: swarm.stats.bytesFromPeers,
      peers: swarm.peerCount,
    }),
    stop() {
      mesh.stop();
      swarm.close();
      peer.destroy();
    },
  };
}
