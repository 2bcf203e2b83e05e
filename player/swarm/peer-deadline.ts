/**
 * When a request to a peer is overdue: the timer of one request, and the two reasons it gets more
 * time than its deadline from the moment it was asked. What follows from an overdue request (a
 * strike, asking elsewhere) is the scheduler's (`chunk-scheduler.ts`); the deadline itself,
 * `peer-score.ts`.
 *
 * - A peer still answering is busy, not stalling: its answers come in the order asked, so a request
 *   queued behind others is late only once the peer has been silent for the deadline (from the
 *   request, or from its last answer if that came later). A peer that answered a request asked
 *   after this one skipped it: no more time for this one.
 * - Our own event loop stalled (the timer fired {@link LOOP_STALL_MS} or more past its time, as on a
 *   loaded machine): answers that came in meanwhile are still waiting to be read — timers run before
 *   I/O. The request gets one more look once they are, after as long again as the stall (once per
 *   request: a peer that is silent is still judged, however late every timer fires).
 */
import type { Clock, TimerHandle } from './clock.ts';
import type { PeerState } from './peer.ts';

/**
 * A request timer that fires this much past its time shows our own event loop stalled: its request
 * gets one more look after the answers that arrived meanwhile are read.
 */
export const LOOP_STALL_MS = 100;

/** What {@link watchPeerRequest} asks of, and tells, the request's owner. */
export interface PeerRequestWatch {
  /** True while the request is still in flight to this peer (unanswered, not given up). */
  pending(): boolean;
  /** The request's timer was armed again: its new handle (to clear when it is answered). */
  rearmed(timer: TimerHandle): void;
  /** The request is overdue, at `now`. */
  overdue(now: number): void;
}

/**
 * Arms the timer of a request asked of `peer` at `askedAt` with `deadline` (ms); returns its handle.
 * It calls `watch.overdue` once the request is overdue (see the file comment), unless it was
 * answered first.
 */
export function watchPeerRequest(
  clock: Clock,
  peer: PeerState,
  askedAt: number,
  deadline: number,
  watch: PeerRequestWatch,
): TimerHandle {
  let firesAt = askedAt + deadline;
  let forgiven = false;
  const check = (): void => {
    if (!watch.pending()) return;
    const now = clock.now();
    const stall = now - firesAt;
    if (!forgiven && stall >= LOOP_STALL_MS) {
      forgiven = true;
      firesAt = now + Math.min(stall, deadline);
      watch.rearmed(clock.setTimeout(check, firesAt - now));
      return;
    }
    const inOrder = peer.lastAnsweredAskedAt <= askedAt;
    const due = (inOrder ? Math.max(askedAt, peer.lastAnswerAt) : askedAt) + deadline;
    if (now < due) {
      firesAt = due;
      watch.rearmed(clock.setTimeout(check, due - now));
      return;
    }
    watch.overdue(now);
  };
  return clock.setTimeout(check, deadline);
}
