/**
 * The browser adapter: the patch client on the page's platform — the cache in IndexedDB, the relay
 * over the browser's WebSocket, the swarm on the browser's WebRTC (PeerJS, loaded in a chunk of its
 * own once the page has booted). Scripts run in a module Worker (`player/sandbox/browser-worker.ts`,
 * the default of `LogicHost`). Everything else is the platform-free core (`player/core/`).
 */
import { PatchClient, type PatchClientOptions } from '../core/patch-client.js';
import { PlayerSwarm, type OpenPeer, type PlayerSwarmOptions } from '../swarm/player-swarm.js';
/** Options of {@link browserPatchClient}: the core's, with the platform's parts optional. */
export type BrowserClientOptions = Omit<PatchClientOptions, 'cache' | 'connect'> & Partial<Pick<PatchClientOptions, 'cache' | 'connect'>>;
/** A patch client on IndexedDB and the browser's WebSocket to `{server}/ws`. */
export declare function browserPatchClient(options: BrowserClientOptions): PatchClient;
/** True when the browser has WebRTC data channels at all. */
export declare function webRtcAvailable(): boolean;
/** Opens a PeerJS peer on the browser's WebRTC; PeerJS loads on first use, in a chunk of its own. */
export declare const openBrowserPeer: OpenPeer;
/** The swarm on the browser's WebRTC. */
export declare function browserSwarm(options: Omit<PlayerSwarmOptions, 'openPeer'>): PlayerSwarm;
