/**
 * The browser adapter: the patch client on the page's platform — the cache in IndexedDB, the relay
 * over the browser's WebSocket, the swarm on the browser's WebRTC (PeerJS, loaded in a chunk of its
 * own once the page has booted). Scripts run in a module Worker (`player/sandbox/browser-worker.ts`,
 * the default of `LogicHost`). Everything else is the platform-free core (`player/core/`).
 */
import { PatchClient, type PatchClientOptions } from '../core/patch-client.ts';
import { relaySocketUrl } from '../core/relay-url.ts';
import { webSocketTransport } from '../core/ws-transport.ts';
import { PlayerSwarm, type OpenPeer, type PlayerSwarmOptions } from '../swarm/player-swarm.ts';
import { idbCache } from './idb-cache.ts';

/** Options of {@link browserPatchClient}: the core's, with the platform's parts optional. */
export type BrowserClientOptions = Omit<PatchClientOptions, 'cache' | 'connect'> &
  Partial<Pick<PatchClientOptions, 'cache' | 'connect'>>;

/**
 * A patch client on IndexedDB and the browser's WebSocket to `{server}/ws` (each of `servers`, in
 * order: failover); blobs of several chunks come whole over HTTP while the relay serves them at once
 * (`httpBlobs`), from the relay connected to now.
 */
export function browserPatchClient(options: BrowserClientOptions): PatchClient {
  return new PatchClient({
    httpBlobs: true,
    ...options,
    cache: options.cache ?? idbCache(),
    connect:
      options.connect ??
      (options.servers ?? [options.server]).map((s) => webSocketTransport(relaySocketUrl(s))),
  });
}

/** True when the browser has WebRTC data channels at all. */
export function webRtcAvailable(): boolean {
  return typeof globalThis.RTCPeerConnection === 'function';
}

/** Opens a PeerJS peer on the browser's WebRTC; PeerJS loads on first use, in a chunk of its own. */
export const openBrowserPeer: OpenPeer = async (address, id, iceServers = [], timeoutMs = 10_000) =>
  (await import('./browser-peer.ts')).openBrowserPeer(address, id, iceServers, timeoutMs);

/** The swarm on the browser's WebRTC. */
export function browserSwarm(options: Omit<PlayerSwarmOptions, 'openPeer'>): PlayerSwarm {
  return new PlayerSwarm({ ...options, openPeer: openBrowserPeer });
}
