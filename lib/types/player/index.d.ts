/**
 * The player library for pages (`patchcast/player` in the package): what a game embeds to take
 * Patchcast's signed hot patches — the platform-free core, the browser adapter, the script sandbox
 * and its contracts. See `docs/embedding.md`; the Node adapter is `player/node/index.ts`
 * (`patchcast/node`). Nothing here imports a bundler-specific module, so any bundler builds it; the
 * demo's Three.js scene is not part of it.
 */
export { PatchClient, type PatchClientOptions, type PatchEvents } from './core/patch-client.js';
export type { AppliedDetail, ConnectedDetail, ConnectionMode, DisconnectedDetail, PatchStatus, RefusedDetail, SlotOutcome, } from './core/status.js';
export { memoryCache } from './core/memory-cache.js';
export type { ApplyOutcome, PatchHandlers, RemovedSlot, SlotChange } from './core/apply.js';
export type { BlobSource, CloseInfo, ConnectTransport, FetchOptions, PatchTransport, Traffic, TransportHandlers, } from './core/transport.js';
export { webSocketTransport } from './core/ws-transport.js';
export { relaySocketUrl, relayUrl } from './core/relay-url.js';
export { RelayBlobs } from './core/relay-blobs.js';
export { PlayerSwarm, type OpenPeer, type PlayerSwarmOptions, type SwarmClient, type SwarmInfo, type SwarmState, } from './swarm/player-swarm.js';
export { idbCache } from './browser/idb-cache.js';
export type { PatchCache, CacheUpdate } from './core/cache.js';
export { browserPatchClient, browserSwarm, openBrowserPeer, webRtcAvailable, type BrowserClientOptions, } from './browser/browser-client.js';
export { ScriptSandbox, type SandboxOptions, type SandboxWorker, type ScriptFailure, type ScriptResult, type SpawnSandbox, } from './sandbox/sandbox.js';
export { dryRun, type DryRunOptions, type DryRunReport } from './sandbox/dry-run.js';
export { checkScript, declaredContract, type ContractCheck } from './sandbox/declared.js';
export { LogicHost, type LogicHostOptions } from './sandbox/logic-host.js';
export { DEFAULT_TRIAL_FRAMES, ScriptHost, type OnScriptFailure, type ScriptHostOptions, type ScriptIdentity, } from './sandbox/script-host.js';
export { browserSandbox, compiledEngine, spawnBrowserSandbox, type SandboxUrls, } from './sandbox/browser-worker.js';
export { BALL_CONTRACT, checkBall, defineContract, initialBall, type Ball, type ContractSpec, type ScriptContract, type World, } from './sandbox/contract.js';
export { BOUNCE, GRAVITY, SINE_PATH } from './sandbox/examples.js';
export { decodeTexture, type DecodedTexture } from './game/texture.js';
