/**
 * What a relay node adds, besides its store, to take part in a cluster: its rosters shared with the
 * other nodes ({@link RosterShare}), its swarm members offered to the other nodes' players
 * ({@link SwarmShare}), the copies it served to the swarm counted by the others ({@link DeferralShare}),
 * PeerJS messages routed to the node that holds the destination
 * ({@link PeerRoute}), per-address limits held for the whole cluster ({@link ClusterLimits}), one
 * operator token for every node, and its cluster metrics. `startServer` calls {@link joinCluster}
 * when it runs with `redis`.
 */
import { createHash } from 'node:crypto';
import type { Hub } from '../hub/hub.ts';
import type { Metrics } from '../metrics.ts';
import type { AddressLimits } from '../net/address-limits.ts';
import type { PeerJsEndpoint } from '../transports/peerjs.ts';
import { ClusterLimits } from './cluster-limits.ts';
import { clusterMetrics } from './cluster-metrics.ts';
import { PeerRoute } from './peer-route.ts';
import type { ClusterStore } from './redis-store.ts';
import { RosterShare } from './roster-share.ts';
import { SwarmShare } from './swarm-share.ts';
import { DeferralShare } from './deferral-share.ts';

/** A node's part of the cluster, besides the store. */
export interface ClusterMembership {
  readonly roster: RosterShare;
  readonly peers: PeerRoute;
  readonly limits: ClusterLimits;
  readonly swarm: SwarmShare;
  close(): void;
}

/** This node's operator token is not the one the cluster's other nodes use: `serve` says so and exits. */
export class ClusterConfigError extends Error {
  override readonly name = 'ClusterConfigError';
}

/**
 * Joins the cluster: checks the operator token against the cluster's, takes the node's lease,
 * shares its rosters and routes its PeerJS messages through the cluster store's Redis, and holds
 * `limits` (the node's per-address limits) for the cluster.
 */
export async function joinCluster(parts: {
  readonly store: ClusterStore;
  readonly hub: Hub;
  readonly peerjs: PeerJsEndpoint;
  readonly metrics: Metrics;
  readonly limits: AddressLimits;
  /** The operator token of this node, or null when it has none. */
  readonly operatorToken: string | null;
  readonly log: (message: string) => void;
  readonly rosterShareMs?: number;
}): Promise<ClusterMembership> {
  const { store } = parts;
  if (parts.operatorToken !== null) await sameOperatorToken(store, parts.operatorToken);
  const limits = new ClusterLimits(store, parts.log);
  store.stats = clusterMetrics(parts.metrics, limits, () => store.isConnected);
  await limits.start();
  parts.limits.shared = limits;
  const roster = new RosterShare(store, parts.hub.rooms, parts.rosterShareMs, parts.log);
  const peers = new PeerRoute(store, parts.peerjs, parts.log);
  const swarm = new SwarmShare(store, parts.hub.rooms, parts.rosterShareMs);
  const deferral = new DeferralShare(store, parts.hub.deferral);
  return {
    roster,
    peers,
    limits,
    swarm,
    close: () => {
      parts.limits.shared = null;
      limits.close();
      roster.close();
      peers.close();
      swarm.close();
      deferral.close();
    },
  };
}

/**
 * The first node writes its token's digest; every later one must hold the same token (a node that
 * generated its own would refuse the operators every other node accepts, depending on the balancer).
 */
async function sameOperatorToken(store: ClusterStore, token: string): Promise<void> {
  const digest = createHash('sha256').update(token, 'utf8').digest('hex');
  const set = await store.redis.set(store.keys.operator, digest, 'NX');
  if (set === 'OK') return;
  const held = await store.redis.get(store.keys.operator);
  if (held === digest) return;
  throw new ClusterConfigError(
    `this node's operator token is not the cluster's (give every node the same PATCHCAST_OPERATOR_TOKEN; ` +
      `to change it, stop every node and delete the Redis key ${store.keys.operator})`,
  );
}
