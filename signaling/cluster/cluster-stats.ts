/**
 * What a cluster node tells its `/metrics` about its part in the cluster (cluster-metrics.ts counts
 * it): Redis round trips, the connection to Redis, events in and out, catch-ups, PeerJS messages
 * routed. The cluster's parts report here; a store opened without metrics reports to nobody.
 */

/** The events a cluster node reports. */
export interface ClusterStats {
  /** A Redis command (or pipeline, or script) answered after `seconds`. */
  roundTrip(op: string, seconds: number): void;
  /** The command connection to Redis is up (true) or lost (false). */
  connected(up: boolean): void;
  /** An event heard on the cluster's channels (`in`) or published (`out`), by type. */
  event(direction: 'in' | 'out', type: string): void;
  /** The seq poll (or a reconnection) found a room further than the events had brought it. */
  catchUp(): void;
  /** A PeerJS message sent to the node holding its destination (`out`), or delivered from one (`in`). */
  peerRouted(direction: 'in' | 'out'): void;
}

/** Reports to nobody. */
export const NO_STATS: ClusterStats = {
  roundTrip: () => {},
  connected: () => {},
  event: () => {},
  catchUp: () => {},
  peerRouted: () => {},
};

/** Runs `work` and reports its round trip as `op` (failures too: a timeout is a slow answer). */
export async function timed<T>(stats: ClusterStats, op: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    stats.roundTrip(op, (performance.now() - start) / 1000);
  }
}
