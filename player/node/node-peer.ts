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

/**
 * The start of a Node player's PeerJS id (a page's is `pc-`): whoever links to it knows it is
 * libdatachannel at the other end, which takes SCTP packets larger than Chromium does.
 */
export const NODE_PEER_ID_PREFIX = 'pn-';

/**
 * libdatachannel's `mtu` for a link between two Node players on a loopback-only machine: SCTP packets
 * of ~4 KiB instead of ~1.2 KiB (libjuice reads no larger datagram), a third as many packets to
 * encrypt, frame, send and acknowledge per chunk — about half the CPU per MB. Only there: loopback's
 * MTU is 64 KiB, so nothing is fragmented (on a real network the path's MTU is unknown when the
 * connection is made, and 1,280-byte packets are what fits everywhere), and only between Node players
 * (Chromium's SCTP drops packets over its own size: a page never gets one).
 */
export const NODE_LINK_MTU = 4096;

/** The remote PeerJS id of the connection PeerJS is creating now (set around its synchronous calls). */
let creatingFor: string | null = null;

/** The extra libdatachannel config of a connection to `remote` (see {@link NODE_LINK_MTU}). */
export function linkConfigFor(
  remote: string | null,
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
): { mtu: number } | Record<string, never> {
  const loopbackOnly = 'bindAddress' in loopbackOnlyBinding(interfaces);
  return loopbackOnly && remote?.startsWith(NODE_PEER_ID_PREFIX) ? { mtu: NODE_LINK_MTU } : {};
}

/**
 * Has PeerJS's connections made for `peer` know whom they are to: dials (`connect`) and offers from
 * the signaling server (`_handleMessage`, PeerJS's handler, which makes the connection of an offer
 * synchronously) set {@link creatingFor} while they run.
 */
function knowRemotes(peer: Peer): void {
  const around =
    <A extends unknown[], R>(fn: (...args: A) => R, remote: (...args: A) => string | null) =>
    (...args: A): R => {
      creatingFor = remote(...args);
      try {
        return fn(...args);
      } finally {
        creatingFor = null;
      }
    };
  peer.connect = around(peer.connect.bind(peer), (id) => id);
  // PeerJS's own (private) handler of signaling messages: an offer's `src` is the dialling peer.
  const internal = peer as unknown as { _handleMessage: (message: { src?: unknown }) => void };
  internal._handleMessage = around(internal._handleMessage.bind(peer), (message) =>
    typeof message.src === 'string' ? message.src : null,
  );
}

async function loadPeerJs(): Promise<PeerClass> {
  const webrtc = await import('node-datachannel/polyfill');
  const { WebSocket } = await import('ws');
  // Each connection's config gets what suits its remote peer (see `linkConfigFor`).
  class LinkPeerConnection extends webrtc.RTCPeerConnection {
    /** The `mtu` this connection was made with (null: libdatachannel's default). */
    readonly linkMtu: number | null;
    constructor(config?: ConstructorParameters<typeof webrtc.RTCPeerConnection>[0]) {
      const extra = linkConfigFor(creatingFor);
      super({ ...config, ...extra });
      this.linkMtu = 'mtu' in extra ? extra.mtu : null;
    }
  }
  Object.assign(globalThis, {
    RTCPeerConnection: LinkPeerConnection,
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
  knowRemotes(peer);
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
