/**
 * PeerJS in Node: WebRTC from node-webrtc (`@roamhq/wrtc`) and WebSocket from `ws`, installed as the
 * globals PeerJS probes for when it loads — so they must be in place before the first import of
 * `peerjs`, which is why it is imported dynamically here. Used by `patchcast play --p2p`, by tests
 * and by the swarm benchmark.
 */
import type { Peer, PeerOptions } from 'peerjs';

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
  if (!('WebSocket' in globalThis)) Object.assign(globalThis, { WebSocket });
  // PeerJS ships CommonJS for Node: its exports sit on `default` (module interop, not data).
  const mod = await import('peerjs');
  const cjs = (mod as unknown as { default?: { Peer?: PeerClass } }).default;
  return cjs?.Peer ?? mod.Peer;
}

/** Where the PeerJS signaling server is. */
export interface SignalingAddress {
  readonly host: string;
  readonly port: number;
  /** Mount path of the PeerJS server (`/peerjs` on the Patchcast relay). */
  readonly path: string;
  readonly secure?: boolean;
}

/**
 * Opens a PeerJS peer in Node and resolves once the signaling server has registered it.
 * `iceServers` defaults to none: on loopback, host candidates are all there is.
 */
export async function openNodePeer(
  address: SignalingAddress,
  id?: string,
  iceServers: RTCIceServer[] = [],
): Promise<Peer> {
  ready ??= loadPeerJs();
  const PeerClass = await ready;
  const options: PeerOptions = {
    host: address.host,
    port: address.port,
    path: address.path,
    secure: address.secure ?? false,
    config: { iceServers },
    debug: 0,
  };
  const peer = id === undefined ? new PeerClass(options) : new PeerClass(id, options);
  await new Promise<void>((resolve, reject) => {
    peer.once('open', () => resolve());
    peer.once('error', (err) => reject(err));
  });
  return peer;
}
