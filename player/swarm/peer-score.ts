/**
 * Peer scoring: which peer to ask for a chunk, and when a peer has failed us often enough to be let
 * go. A peer that says it holds a chunk and doesn't deliver it — answers `peer.none` for a chunk it
 * claimed, or lets the request time out — gets strikes; each chunk it delivers (and that passes its
 * hash check) takes one away. At {@link MAX_STRIKES} it is dropped and banned: never asked or linked
 * again. A bad chunk bans at once (`chunk-scheduler.ts`).
 *
 * Peers that have delivered are asked first; a peer that never delivered is "on probation": at most
 * {@link PROBATION_INFLIGHT} requests in flight, each with a shorter deadline — so a liar that
 * claims every chunk holds back two chunks for a moment, not the whole blob.
 */
import type { PeerState } from './peer.ts';

/** Strikes at which a peer is dropped and banned. */
export const MAX_STRIKES = 4;
/** Strikes for a `peer.none` answer to a chunk the peer said it holds. */
export const STRIKE_REFUSED = 1;
/** Strikes for a request it let time out (it cost us the whole deadline). */
export const STRIKE_TIMEOUT = 2;
/** Requests in flight to a peer that has not delivered yet. */
export const PROBATION_INFLIGHT = 1;

/** True once `peer` has delivered a verified chunk. */
export function proven(peer: PeerState): boolean {
  return peer.delivered > 0;
}

/** Requests in flight `peer` may have. */
export function inflightLimit(peer: PeerState, maxInflightPerPeer: number): number {
  return proven(peer) ? maxInflightPerPeer : Math.min(PROBATION_INFLIGHT, maxInflightPerPeer);
}

/**
 * How long a request to `peer` may take before it counts as stalled: `requestTimeoutMs` for a proven
 * peer; for one on probation, three times the typical answer we get (`answerMs`, from the relay and
 * proven peers alike), within [`probationTimeoutMs`, `requestTimeoutMs`]. On a fast network a liar
 * is caught in half a second; on a slow or loaded one, honest newcomers get the time others take.
 */
export function deadlineFor(
  peer: PeerState,
  requestTimeoutMs: number,
  probationTimeoutMs: number,
  answerMs: number | null,
): number {
  if (proven(peer)) return requestTimeoutMs;
  const typical = Math.max(probationTimeoutMs, 3 * (answerMs ?? 0));
  return Math.min(requestTimeoutMs, typical);
}

/** Folds one answer time into the running estimate (an exponential moving average). */
export function nextAnswerMs(estimate: number | null, sample: number): number {
  return estimate === null ? sample : 0.8 * estimate + 0.2 * sample;
}

/** Records a failure; true when the peer has now earned its drop. */
export function strike(peer: PeerState, weight: number): boolean {
  peer.strikes += weight;
  return peer.strikes >= MAX_STRIKES;
}

/**
 * Records a request asked at `askedAt` that passed its deadline at `now`; true when the peer has now
 * earned its drop. One silence, one strike: the requests that waited behind the same stall pass
 * their deadlines together. A request asked after the last strike strikes again (timers that fire
 * late must not let a silent peer dodge every strike after its first).
 */
export function strikeTimeout(peer: PeerState, askedAt: number, now: number): boolean {
  if (askedAt < peer.lastTimeoutAt) return false;
  peer.lastTimeoutAt = now;
  return strike(peer, STRIKE_TIMEOUT);
}

/** Records a verified chunk from `peer`. */
export function credit(peer: PeerState): void {
  peer.delivered++;
  peer.strikes = Math.max(0, peer.strikes - 1);
}

/**
 * The peer to ask for chunk `index` of `sha256` now, if any: among those that hold it and have a
 * request slot free, one that has delivered before one that hasn't, then the least busy (ties broken
 * at random, so that askers spread over holders).
 */
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
    if (peer.inflight >= inflightLimit(peer, maxInflightPerPeer) || !peer.holds(sha256, index, now)) continue;
    if (!best || better(peer, best) || (tie(peer, best) && random() < 0.5)) best = peer;
  }
  return best;
}

function better(a: PeerState, b: PeerState): boolean {
  if (proven(a) !== proven(b)) return proven(a);
  return a.inflight < b.inflight;
}

function tie(a: PeerState, b: PeerState): boolean {
  return proven(a) === proven(b) && a.inflight === b.inflight;
}
