/**
 * The player's Node adapter: the platform-free patch client (`player/core/`) on Node — a file cache,
 * the relay over framed TCP or WebSocket, the `worker_threads` script sandbox, the swarm on
 * node-webrtc — and {@link NodePlayer}, which puts them together (`patchcast play`).
 */
export { NodePlayer, type NodePlayerOptions } from './node-player.js';
export { NodeGame, NODE_LOAD_BUDGET_MS } from './node-handlers.js';
export { checkScript, declaredContract, type ContractCheck } from '../sandbox/declared.js';
export { ScriptHost, type ScriptHostOptions, type ScriptIdentity } from '../sandbox/script-host.js';
export { defineContract, type ContractSpec, type ScriptContract } from '../sandbox/contract.js';
export { fileCache } from './file-cache.js';
export { tcpTransport, parseHostPort, type TcpTransportOptions } from './tcp-transport.js';
export type { ConnectTransport } from '../core/transport.js';
export { nodeWebSocketTransport } from './ws-transport.js';
export { spawnNodeSandbox } from './node-sandbox.js';
export { openNodePeer } from './node-peer.js';
export { memoryCache } from '../core/memory-cache.js';
export { relaySocketUrl, relayUrl } from '../core/relay-url.js';
export { signalingFor, type SignalingAddress } from '../swarm/signaling-address.js';
export { PatchClient, type AppliedDetail, type ConnectedDetail, type DisconnectedDetail, type PatchClientOptions, type PatchEvents, type PatchStatus, type RefusedDetail, } from '../core/patch-client.js';
