/**
 * PeerJS in Node: WebRTC from libdatachannel (`node-datachannel`'s W3C polyfill) and WebSocket from
 * `ws`, installed as the globals PeerJS probes for when it loads — so they must be in place before the
 * first import of `peerjs`, which is why it is imported dynamically here. The Node adapter's
 * {@link OpenPeer}: used by `patchcast play --p2p`, by tests and by the swarm benchmark.
 *
 * Why libdatachannel and not Google's libwebrtc (`@roamhq/wrtc`, used before): a data channel message
 * costs a tenth of the CPU (~20 µs against ~200 µs for a small one, measured on this project's 2-core
 * machine), and sending does not block the JavaScript thread while libwebrtc's network thread works
 * through every other connection's traffic — with 25 players in one process, node-webrtc held the
 * thread in `send` for most of a swarm transfer (docs/swarm.md#benchmark).
 */
import { networkInterfaces } from 'node:os';
import type { Peer, PeerOptions } from 'peerjs';
import type { SignalingAddress } from '../swarm/signaling-address.ts';
import type { OpenPeer } from '../swarm/player-swarm.ts';

type PeerClass = typeof import('peerjs').Peer;
let ready: Promise<PeerClass> | null = null;

async function loadPeerJs(): Promise<PeerClass> {
  const webrtc = await import('node-datachannel/polyfill');
  const { WebSocket } = await import('ws');
  Object.assign(globalThis, {
    RTCPeerConnection: webrtc.RTCPeerConnection,
    RTCSessionDescription: webrtc.RTCSessionDescription,
    RTCIceCandidate: webrtc.RTCIceCandidate,
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
 * libdatachannel's extra `RTCConfiguration` field for a machine whose only network is loopback (a
 * loopback-only network namespace, as every WebRTC test and the swarm benchmark run in): its ICE agent
 * leaves loopback addresses out of the host candidates it gathers, so there it would find none; bound
 * to 127.0.0.1 it offers that one. Anywhere with another interface it gathers as a browser does.
 */
export function loopbackOnlyBinding(
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): { bindAddress: string } | Record<string, never> {
  const addresses = Object.values(interfaces).flatMap((list) => list ?? []);
  return addresses.some((a) => !a.internal) ? {} : { bindAddress: '127.0.0.1' };
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
    // `bindAddress` is libdatachannel's, not in the DOM's RTCConfiguration type.
    config: { iceServers: [...iceServers], ...loopbackOnlyBinding() } as RTCConfiguration,
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
