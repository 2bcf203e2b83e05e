/**
 * PeerJS in Node: WebRTC from node-webrtc (`@roamhq/wrtc`) and WebSocket from `ws`, installed as the
 * globals PeerJS probes for when it loads — so they must be in place before the first import of
 * `peerjs`, which is why it is imported dynamically here. The Node adapter's {@link OpenPeer}: used by
 * `patchcast play --p2p`, by tests and by the swarm benchmark.
 */
import type { Peer, PeerOptions } from 'peerjs';
import type { SignalingAddress } from '../swarm/signaling-address.ts';
import type { OpenPeer } from '../swarm/player-swarm.ts';

type PeerClass = typeof import('peerjs').Peer;
let ready: Promise<PeerClass> | null = null;

async function loadPeerJs(): Promise<PeerClass> {
  const wrtc = (await import('@roamhq/wrtc')).default;
  const { WebSocket } = await import('ws');
  Object.assign(globalThis, {
    RTCPeerConnection: wrtc.RTCPeerConnection,
    RTCSessionDescription: wrtc.RTCSessionDescription,
    RTCIceCandidate: wrtc.RTCIceCandidate,
  });
  // PeerJS listens for `close` but not `error`; `ws` emits `error` when a socket still connecting is
  // closed (a peer destroyed after its open timed out), and an unheard `error` ends the process.
  class QuietWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      this.on('error', () => {});
    }
  }
  if (!('WebSocket' in globalThis)) Object.assign(globalThis, { WebSocket: QuietWebSocket });
  // PeerJS ships CommonJS for Node: its exports sit on `default` (module interop, not data).
  const mod = await import('peerjs');
  const cjs = (mod as unknown as { default?: { Peer?: PeerClass } }).default;
  return cjs?.Peer ?? mod.Peer;
}

/**
 * Opens a PeerJS peer in Node with our own id and resolves once the signaling server has registered
 * it; rejects (and destroys the peer) on an error or after `timeoutMs`. `iceServers` defaults to
 * none: on loopback and most LANs, host candidates are all there is.
 */
export const openNodePeer: OpenPeer = async (
  address: SignalingAddress,
  id: string,
  iceServers: readonly RTCIceServer[] = [],
  timeoutMs = 10_000,
): Promise<Peer> => {
  ready ??= loadPeerJs();
  const PeerClass = await ready;
  const options: PeerOptions = {
    host: address.host,
    port: address.port,
    path: address.path,
    secure: address.secure,
    config: { iceServers: [...iceServers] },
    debug: 0,
  };
  const peer = new PeerClass(id, options);
  await new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => {
      clearTimeout(timer);
      peer.off('open', opened);
      peer.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    // Only the errors before `open` are the opener's: later ones (a dial to a peer who left) are the
    // mesh's business.
    const opened = () => {
      clearTimeout(timer);
      peer.off('error', fail);
      resolve();
    };
    const timer = setTimeout(
      () => fail(new Error(`no answer from the signaling server in ${timeoutMs} ms`)),
      timeoutMs,
    );
    peer.once('open', opened);
    peer.once('error', fail);
  });
  return peer;
};
