/**
 * Reconnect delays, the one rule for every client of the relay (the player in a page or in Node, the
 * admin's roster line): exponential, capped, with jitter so that a thousand players dropped by one
 * relay restart don't all knock again in the same millisecond.
 */
import {
  MAX_RESTART_SPREAD_MS,
  MIN_RESTART_POLL_MS,
  MIN_RESTART_SPREAD_MS,
  RECONNECT_INITIAL_MS,
  RECONNECT_MAX_MS,
  RESTART_POLL_MS,
  RESTART_SPREAD_MS,
  RESTART_SPREAD_PER_CLIENT_MS,
  RESTART_WINDOW_MS,
} from './limits.ts';

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** First delay, in ms (default {@link RECONNECT_INITIAL_MS}). */
  readonly initialMs?: number;
  /** Largest delay, in ms (default {@link RECONNECT_MAX_MS}). */
  readonly maxMs?: number;
}

/**
 * Delay before reconnect attempt `attempt` (0 for the first): "equal jitter" — half of the capped
 * exponential step, plus a random share of the other half. Never shorter than half the step.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialMs ?? RECONNECT_INITIAL_MS;
  const max = options.maxMs ?? RECONNECT_MAX_MS;
  const step = Math.min(max, initial * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * The spread a relay that restarts names (`retrySpreadMs`) when it had `clients` connections:
 * {@link RESTART_SPREAD_PER_CLIENT_MS} each, within {@link MIN_RESTART_SPREAD_MS} and
 * {@link MAX_RESTART_SPREAD_MS}.
 */
export function restartSpread(clients: number): number {
  const spread = Math.round(Math.max(0, clients) * RESTART_SPREAD_PER_CLIENT_MS);
  return Math.min(MAX_RESTART_SPREAD_MS, Math.max(MIN_RESTART_SPREAD_MS, spread));
}

/**
 * Delay before dial `attempt` (0 for the first) after the relay said it is restarting and to come
 * back in `hintMs`, `elapsedMs` ago, its clients spread over `spreadMs` (the relay's
 * `retrySpreadMs`; {@link RESTART_SPREAD_MS} when it named none): the first at the hint plus a
 * random share of the spread, then every spread or so (half to one and a half of it;
 * {@link RESTART_POLL_MS} without a spread) — each wait at least {@link MIN_RESTART_POLL_MS}: a
 * short spread's window starts there instead, still a spread wide — so that however long the
 * relay was down, its clients come back within about a spread of its being up: as fast as it takes
 * them (the spread grows with their number), not all in the same millisecond, and not seconds
 * later as on a long backoff (a refused dial costs the relay's kernel little). Null past
 * {@link RESTART_WINDOW_MS}: the usual backoff.
 */
export function restartDelay(
  hintMs: number,
  attempt: number,
  elapsedMs: number,
  random: () => number = Math.random,
  spreadMs?: number,
): number | null {
  if (elapsedMs > RESTART_WINDOW_MS) return null;
  const spread = Math.min(MAX_RESTART_SPREAD_MS, spreadMs ?? RESTART_SPREAD_MS);
  if (attempt <= 0) return Math.max(0, Math.round(hintMs - elapsedMs + random() * spread));
  const poll = spreadMs === undefined ? RESTART_POLL_MS : spread;
  // The floor moves the jitter window, it does not clip it: every wait is at least the floor, and
  // the players still spread over a whole poll (a clip would pile them up on the floor).
  return Math.round(Math.max(MIN_RESTART_POLL_MS, poll / 2) + random() * poll);
}
