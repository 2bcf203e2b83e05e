/**
 * What the player's swarm (`player-swarm.ts`) is given: its options, the platform's part
 * ({@link OpenPeer}: the browser's WebRTC in `player/browser/`, node-datachannel in `player/node/`)
 * and what it needs of the patch client ({@link SwarmClient}).
 */
import type { Peer } from 'peerjs';
import type { Result } from '../../protocol/errors.ts';
import type { Message } from '../../protocol/messages.ts';
import type { SignedRelease } from '../../protocol/release.ts';
import type { PeerMeshOptions } from './peerjs.ts';
import type { SignalingAddress } from './signaling-address.ts';
import type { SwarmOptions } from './swarm-options.ts';

/** What the swarm needs of the patch client. */
export interface SwarmClient {
  offerRelease(candidate: unknown): Promise<Result<SignedRelease>>;
  sendToRelay(message: Message): boolean;
  /** Our peer id is announced, or withdrawn: the relay should hear it (a new `hello`). */
  peerIdChanged?(): void;
}

/**
 * Opens a PeerJS peer with our own id on the signaling server and resolves once it is registered;
 * rejects (having destroyed the peer) on an error or after `timeoutMs`. The platform's part.
 */
export type OpenPeer = (
  address: SignalingAddress,
  id: string,
  iceServers?: readonly RTCIceServer[],
  timeoutMs?: number,
) => Promise<Peer>;

/** Options of `PlayerSwarm`. */
export interface PlayerSwarmOptions {
  /** Opens the PeerJS peer (the adapter's). */
  readonly openPeer: OpenPeer;
  /**
   * The relay's HTTP base URL (as the client's `server`); its PeerJS server is at `/peerjs` under it.
   * A function is asked when PeerJS opens (links on demand: maybe after a failover), so the peer
   * registers with the relay the player is connected to then (`PatchClient.currentServer`).
   */
  readonly server: string | (() => string);
  /** STUN/TURN servers; none by default (on loopback and most LANs host candidates are enough). */
  readonly iceServers?: readonly RTCIceServer[];
  /** Give up on the signaling server after this long (default 10 s). */
  readonly openTimeoutMs?: number;
  /** A chunk asked of the relay and not answered in this long may be asked of peers (default 3 s). */
  readonly relayChunkTimeoutMs?: number;
  readonly swarm?: Omit<
    SwarmOptions,
    'relay' | 'onPeerRelease' | 'onPeersChanged' | 'onPeersWanted' | 'linking'
  >;
  readonly mesh?: Omit<PeerMeshOptions, 'requestPeers' | 'eager'>;
  /**
   * When to dial peers: `on-demand` (default) once the relay defers to the swarm; `eager`
   * as soon as the signaling server has registered us.
   */
  readonly links?: 'on-demand' | 'eager';
  /**
   * Links on demand: while none is up yet, the relay may defer our requests for this long after we
   * started dialling (default 8 s, the mesh's dial timeout); past it, with still no link, it is asked as by a player without
   * peers (WebRTC that registers but never connects must not leave us waiting on a swarm).
   */
  readonly linkGraceMs?: number;
  /** How our PeerJS id starts (default `pc-`; the Node adapter's `pn-`: see `newPeerId`). */
  readonly idPrefix?: string;
}

/** Default of {@link PlayerSwarmOptions.linkGraceMs}: a dial not open after 8 s is dropped (`PeerMesh`). */
export const LINK_GRACE_MS = 8_000;
