/**
 * The player library for pages (`patchcast/player` in the package): what a game embeds to take
 * Patchcast's signed hot patches — the platform-free core, the browser adapter, the script sandbox
 * and its contracts. See `docs/embedding.md`; the Node adapter is `player/node/index.ts`
 * (`patchcast/node`). Nothing here imports a bundler-specific module, so any bundler builds it; the
 * demo's Three.js scene is not part of it.
 */
export { PatchClient, type PatchClientOptions, type PatchEvents } from './core/patch-client.ts';
export type {
  AppliedDetail,
  ConnectedDetail,
  ConnectionMode,
  DisconnectedDetail,
  PatchStatus,
  RefusedDetail,
  SlotOutcome,
} from './core/status.ts';
export { memoryCache } from './core/memory-cache.ts';
export type { ApplyOutcome, PatchHandlers, RemovedSlot, SlotChange } from './core/apply.ts';
export type {
  BlobSource,
  CloseInfo,
  ConnectTransport,
  FetchOptions,
  PatchTransport,
  Traffic,
  TransportHandlers,
} from './core/transport.ts';
export { webSocketTransport } from './core/ws-transport.ts';
export { relaySocketUrl, relayUrl } from './core/relay-url.ts';
export { RelayBlobs } from './core/relay-blobs.ts';
export {
  PlayerSwarm,
  type OpenPeer,
  type PlayerSwarmOptions,
  type SwarmClient,
  type SwarmInfo,
  type SwarmState,
} from './swarm/player-swarm.ts';
export { idbCache } from './browser/idb-cache.ts';
export type { PatchCache, CacheUpdate } from './core/cache.ts';
export {
  browserPatchClient,
  browserSwarm,
  openBrowserPeer,
  webRtcAvailable,
  type BrowserClientOptions,
} from './browser/browser-client.ts';
export {
  ScriptSandbox,
  type SandboxOptions,
  type SandboxWorker,
  type ScriptFailure,
  type ScriptResult,
  type SpawnSandbox,
} from './sandbox/sandbox.ts';
export { dryRun, type DryRunOptions, type DryRunReport } from './sandbox/dry-run.ts';
export { checkScript, declaredContract, type ContractCheck } from './sandbox/declared.ts';
export { LogicHost, type LogicHostOptions } from './sandbox/logic-host.ts';
export {
  DEFAULT_TRIAL_FRAMES,
  ScriptHost,
  type OnScriptFailure,
  type ScriptHostOptions,
  type ScriptIdentity,
} from './sandbox/script-host.ts';
export {
  browserSandbox,
  compiledEngine,
  spawnBrowserSandbox,
  type SandboxUrls,
} from './sandbox/browser-worker.ts';
export {
  BALL_CONTRACT,
  checkBall,
  defineContract,
  initialBall,
  type Ball,
  type ContractSpec,
  type ScriptContract,
  type World,
} from './sandbox/contract.ts';
export { BOUNCE, GRAVITY, SINE_PATH } from './sandbox/examples.ts';
export { decodeTexels, decodeTexture, type DecodedTexels, type DecodedTexture } from './game/texture.ts';
