/**
 * The browser's PeerJS peer on the relay's PeerJS server. `browser-client.ts` imports this file
 * dynamically, so PeerJS (and its WebRTC adapter) loads only once the page has booted, in a chunk of
 * its own.
 */
import { Peer } from 'peerjs';
import type { SignalingAddress } from '../swarm/signaling-address.ts';

/**
 * Opens a PeerJS peer with our own id and resolves once the signaling server has registered it.
 * Rejects (and destroys the peer) on an error or after `timeoutMs`.
 */
export function openBrowserPeer(
  address: SignalingAddress,
  id: string,
  iceServers: readonly RTCIceServer[],
  timeoutMs: number,
): Promise<Peer> {
  const peer = new Peer(id, {
    host: address.host,
    port: address.port,
    path: address.path,
    secure: address.secure,
    // Never PeerJS's default (public STUN/TURN servers): only what the page was configured with.
    config: { iceServers: [...iceServers] },
    debug: 0,
  });
  return new Promise<Peer>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      peer.off('open', opened);
      peer.off('error', errored);
      peer.destroy();
      reject(new Error(why));
    };
    const opened = () => {
      clearTimeout(timer);
      peer.off('error', errored);
      resolve(peer);
    };
    const errored = (error: { type: string; message: string }) => fail(`${error.type}: ${error.message}`);
    const timer = setTimeout(() => fail(`no answer from the signaling server in ${timeoutMs} ms`), timeoutMs);
    peer.on('open', opened);
    peer.on('error', errored);
  });
}
