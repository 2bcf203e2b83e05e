/**
 * Which peer to ask for a chunk: among the links that said they hold it and have a request slot
 * free, the least busy one (ties broken at random, so that askers spread over holders).
 */
import type { PeerState } from './peer.ts';

/** The peer to ask for chunk `index` of `sha256` now, if any. */
export function pickPeer(
  peers: Iterable<PeerState>,
  sha256: string,
  index: number,
  now: number,
  maxInflightPerPeer: number,
  random: () => number,
): PeerState | undefined {
  let best: PeerState | undefined;
  for (const peer of peers) {
    if (peer.inflight >= maxInflightPerPeer || !peer.holds(sha256, index, now)) continue;
    if (!best || peer.inflight < best.inflight || (peer.inflight === best.inflight && random() < 0.5)) {
      best = peer;
    }
  }
  return best;
}
