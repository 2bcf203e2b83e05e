/**
 * The browser's PeerJS peer on the relay's PeerJS server. `browser-client.ts` imports this file
 * dynamically, so PeerJS (and its WebRTC adapter) loads only once the page has booted, in a chunk of
 * its own.
 */
import { Peer } from 'peerjs';
import type { SignalingAddress } from '../swarm/signaling-address.js';
/**
 * Opens a PeerJS peer with our own id and resolves once the signaling server has registered it.
 * Rejects (and destroys the peer) on an error or after `timeoutMs`.
 */
export declare function openBrowserPeer(address: SignalingAddress, id: string, iceServers: readonly RTCIceServer[], timeoutMs: number): Promise<Peer>;
