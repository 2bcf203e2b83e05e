import type { OpenPeer } from '../swarm/player-swarm.js';
/**
 * Opens a PeerJS peer in Node with our own id and resolves once the signaling server has registered
 * it; rejects (and destroys the peer) on an error or after `timeoutMs`. `iceServers` defaults to
 * none: on loopback and most LANs, host candidates are all there is.
 */
export declare const openNodePeer: OpenPeer;
