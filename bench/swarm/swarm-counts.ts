/**
 * The swarm counters the benchmark's detail table sums: over a process's players (players.ts) and
 * over the players' processes (real.ts). One list of names, so both sums cover the same counters.
 */

/** Swarm counters summed over players, for the benchmark's detail table. */
export interface SwarmCounts {
  messagesToPeers: number;
  messagesFromPeers: number;
  chunksFromPeers: number;
  peerTimeouts: number;
  peerRefusals: number;
  peersDropped: number;
  idleMs: number;
}

const COUNTS: readonly (keyof SwarmCounts)[] = [
  'messagesToPeers',
  'messagesFromPeers',
  'chunksFromPeers',
  'peerTimeouts',
  'peerRefusals',
  'peersDropped',
  'idleMs',
];

/** Every counter at zero. */
export function noSwarmCounts(): SwarmCounts {
  return Object.fromEntries(COUNTS.map((k) => [k, 0])) as unknown as SwarmCounts;
}

/** Adds `more`'s counters into `sum`. */
export function addSwarmCounts(sum: SwarmCounts, more: SwarmCounts): void {
  for (const k of COUNTS) sum[k] += more[k];
}
