/**
 * The player library: what a game embeds to take Patchcast's signed hot patches. See `docs/player.md`.
 * Import from the files themselves where bundle size matters; this index pulls in all of them.
 */
export { PatchClient, type PatchClientOptions } from './client/patch-client.ts';
export type { AppliedDetail, ConnectionMode, PatchStatus, SlotOutcome } from './client/status.ts';
export type { ApplyOutcome, PatchHandlers, SlotChange } from './client/apply.ts';
export type {
  BlobSource,
  CloseInfo,
  ConnectTransport,
  FetchOptions,
  PatchTransport,
  Traffic,
  TransportHandlers,
} from './client/transport.ts';
export { webSocketTransport, relaySocketUrl } from './client/ws-transport.ts';
export { RelayBlobs } from './client/relay-blobs.ts';
export {
  PlayerSwarm,
  webRtcAvailable,
  type PlayerSwarmOptions,
  type SwarmClient,
  type SwarmInfo,
  type SwarmState,
} from './swarm/player-swarm.ts';
export { idbCache, type PatchCache, type CacheUpdate } from './cache/cache.ts';
export {
  ScriptSandbox,
  type SandboxOptions,
  type SandboxWorker,
  type SpawnSandbox,
} from './sandbox/sandbox.ts';
export { dryRun, type DryRunOptions, type DryRunReport } from './sandbox/dry-run.ts';
export { LogicHost, type LogicHostOptions, type ScriptIdentity } from './sandbox/logic-host.ts';
export { checkBall, initialBall, type Ball, type World } from './sandbox/contract.ts';
export { BOUNCE, GRAVITY, SINE_PATH } from './sandbox/examples.ts';
export { decodeTexture, type DecodedTexture } from './game/texture.ts';
export { GameScene } from './game/scene.ts';
