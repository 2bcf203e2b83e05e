/**
 * The player's Node adapter: the platform-free patch client (`player/core/`) on Node — a file cache,
 * the relay over framed TCP or WebSocket, the `worker_threads` script sandbox, the swarm on
 * node-datachannel — and {@link NodePlayer}, which puts them together (`patchcast play`).
 */
export { NodePlayer, type NodePlayerOptions } from './node-player.ts';
export { NodeGame } from './node-handlers.ts';
export { checkScript, declaredContract, type ContractCheck } from '../sandbox/declared.ts';
export { ScriptHost, type ScriptHostOptions, type ScriptIdentity } from '../sandbox/script-host.ts';
export { defineContract, type ContractSpec, type ScriptContract } from '../sandbox/contract.ts';
export { fileCache } from './file-cache.ts';
export { tcpTransport, parseHostPort, type TcpTransportOptions } from './tcp-transport.ts';
export type { ConnectTransport } from '../core/transport.ts';
export { nodeWebSocketTransport } from './ws-transport.ts';
export { spawnNodeSandbox, NODE_LOAD_BUDGET_MS } from './node-sandbox.ts';
export { openNodePeer } from './node-peer.ts';
export { memoryCache } from '../core/memory-cache.ts';
export { relaySocketUrl, relayUrl } from '../core/relay-url.ts';
export { signalingFor, type SignalingAddress } from '../swarm/signaling-address.ts';
export { PatchClient, type PatchClientOptions, type PatchEvents } from '../core/patch-client.ts';
export type {
  AppliedDetail,
  ConnectedDetail,
  DisconnectedDetail,
  PatchStatus,
  RefusedDetail,
} from '../core/status.ts';
