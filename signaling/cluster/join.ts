/**
 * What a relay node adds, besides its store, to take part in a cluster: its rosters shared with the
 * other nodes ({@link RosterShare}) and PeerJS messages routed to the node that holds the destination
 * ({@link PeerRoute}). `startServer` calls {@link joinCluster} when it runs with `redis`.
 */
import type { Hub } from '../hub/hub.ts';
import type { PeerJsEndpoint } from '../transports/peerjs.ts';
import { PeerRoute } from './peer-route.ts';
import type { ClusterStore } from './redis-store.ts';
import { RosterShare } from './roster-share.ts';

/** A node's part of the cluster, besides the store. */
export interface ClusterMembership {
  readonly roster: RosterShare;
  readonly peers: PeerRoute;
  close(): void;
}

/** Shares this node's rosters and routes its PeerJS messages through the cluster store's Redis. */
export function joinCluster(parts: {
  readonly store: ClusterStore;
  readonly hub: Hub;
  readonly peerjs: PeerJsEndpoint;
  readonly log: (message: string) => void;
  readonly rosterShareMs?: number;
}): ClusterMembership {
  const roster = new RosterShare(parts.store, parts.hub.rooms, parts.rosterShareMs, parts.log);
  const peers = new PeerRoute(parts.store, parts.peerjs, parts.log);
  return {
    roster,
    peers,
    close: () => {
      roster.close();
      peers.close();
    },
  };
}
