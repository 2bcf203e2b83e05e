/**
 * The player library for pages: what a game embeds to take Patchcast's signed hot patches — the
 * platform-free core and the browser adapter. See `docs/player.md`; the Node adapter is
 * `player/node/index.ts`.
 * Import from the files themselves where bundle size matters; this index pulls in all of them.
 */
export { PatchClient, type PatchClientOptions, type PatchEvents } from './core/patch-client.ts';
export type { AppliedDetail, ConnectedDetail, ConnectionMode, DisconnectedDetail, PatchStatus, RefusedDetail, SlotOutcome, } from './core/status.ts';
export { memoryCache } from './core/memory-cache.ts';
export type { ApplyOutcome, PatchHandlers, SlotChange } from './core/apply.ts';
export type { BlobSource, CloseInfo, ConnectTransport, FetchOptions, PatchTransport, Traffic, TransportHandlers, } from './core/transport.ts';
export { webSocketTransport } from './core/ws-transport.ts';
export { relaySocketUrl, relayUrl } from './core/relay-url.ts';
export { RelayBlobs } from './core/relay-blobs.ts';
export { PlayerSwarm, type OpenPeer, type PlayerSwarmOptions, type SwarmClient, type SwarmInfo, type SwarmState, } from './swarm/player-swarm.ts';
export { idbCache } from './browser/idb-cache.ts';
export type { PatchCache, CacheUpdate } from './core/cache.ts';
export { browserPatchClient, browserSwarm, openBrowserPeer, webRtcAvailable, type BrowserClientOptions, } from './browser/browser-client.ts';
export { ScriptSandbox, type SandboxOptions, type SandboxWorker, type ScriptFailure, type ScriptResult, type SpawnSandbox, } from './sandbox/sandbox.ts';
export { dryRun, type DryRunOptions, type DryRunReport } from './sandbox/dry-run.ts';
export { LogicHost, type LogicHostOptions, type ScriptIdentity } from './sandbox/logic-host.ts';
export { BALL_CONTRACT, checkBall, initialBall, type Ball, type ScriptContract, type World, } from './sandbox/contract.ts';
export { BOUNCE, GRAVITY, SINE_PATH } from './sandbox/examples.ts';
export { decodeTexture, type DecodedTexture } from './game/texture.ts';
export { GameScene } from './game/scene.ts';
