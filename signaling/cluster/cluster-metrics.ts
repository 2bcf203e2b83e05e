/**
 * A cluster node's `/metrics` about its part in the cluster, in the server's registry:
 *
 * - `patchcast_redis_roundtrip_seconds{op}` (histogram): Redis round trips — `commit-release`,
 *   `save-room`, `poll` (the seq poll), `lease` (the node's lease and counts), `acquire` / `rate` /
 *   `rooms` (limits: these are the ones a caller waits on);
 * - `patchcast_redis_connected` (0 or 1) and `patchcast_redis_reconnects_total`;
 * - `patchcast_cluster_events_total{direction,type}`: pub/sub messages in and out;
 * - `patchcast_cluster_catchups_total`: times the seq poll found a room further than the events had
 *   brought it (lost messages, an outage);
 * - `patchcast_cluster_nodes`: nodes whose lease runs, this one included;
 * - `patchcast_cluster_peerjs_routed_total{direction}`: PeerJS messages sent to / delivered from
 *   the node holding their destination;
 * - `patchcast_cluster_rate_checks_total{where}`: rate decisions made from a node's own allowance
 *   (`local`) or after a Redis round trip (`redis`) — what the shared rate limits cost.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../metrics.ts';
import type { ClusterLimits } from './cluster-limits.ts';
import type { ClusterStats } from './cluster-stats.ts';

/** Redis round trips on loopback are a fraction of a millisecond; a slow one is seconds. */
const ROUND_TRIP_BUCKETS = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

/** Registers the cluster's metrics; what the store and the cluster's parts report lands there. */
export function clusterMetrics(
  metrics: Metrics,
  limits: ClusterLimits,
  connected: () => boolean,
): ClusterStats {
  const registers = [metrics.registry];
  const roundTrips = new Histogram({
    name: 'patchcast_redis_roundtrip_seconds',
    help: 'Redis round trips of this node, by operation',
    labelNames: ['op'] as const,
    buckets: ROUND_TRIP_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'patchcast_redis_connected',
    help: '1 while this node is connected to Redis',
    registers,
    collect() {
      this.set(connected() ? 1 : 0);
    },
  });
  const reconnects = new Counter({
    name: 'patchcast_redis_reconnects_total',
    help: 'Times this node got its Redis connection back after losing it',
    registers,
  });
  const events = new Counter({
    name: 'patchcast_cluster_events_total',
    help: 'Pub/sub messages between nodes, in and out, by type',
    labelNames: ['direction', 'type'] as const,
    registers,
  });
  const catchUps = new Counter({
    name: 'patchcast_cluster_catchups_total',
    help: "Times the seq poll found a room's releases that the events had not brought",
    registers,
  });
  new Gauge({
    name: 'patchcast_cluster_nodes',
    help: 'Relay nodes whose lease runs, this one included',
    registers,
    collect() {
      this.set(limits.nodesAlive);
    },
  });
  const routed = new Counter({
    name: 'patchcast_cluster_peerjs_routed_total',
    help: 'PeerJS messages sent to the node holding their destination (out) or delivered from one (in)',
    labelNames: ['direction'] as const,
    registers,
  });
  new Counter({
    name: 'patchcast_cluster_rate_checks_total',
    help: "Shared rate decisions from the node's own allowance (local) or after a Redis round trip (redis)",
    labelNames: ['where'] as const,
    registers,
    collect() {
      this.reset();
      this.inc({ where: 'local' }, limits.rateChecks.local);
      this.inc({ where: 'redis' }, limits.rateChecks.redis);
    },
  });
  return {
    roundTrip: (op, seconds) => roundTrips.observe({ op }, seconds),
    connected: (up) => {
      if (up) reconnects.inc();
    },
    event: (direction, type) => events.inc({ direction, type }),
    catchUp: () => catchUps.inc(),
    peerRouted: (direction) => routed.inc({ direction }),
  };
}
