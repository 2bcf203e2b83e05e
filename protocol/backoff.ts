/**
 * Reconnect delays, the one rule for every client of the relay (the player in a page or in Node, the
 * admin's roster line): exponential, capped, with jitter so that a thousand players dropped by one
 * relay restart don't all knock again in the same millisecond.
 */
import {
  RECONNECT_INITIAL_MS,
  RECONNECT_MAX_MS,
  RESTART_POLL_MS,
  RESTART_SPREAD_MS,
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
 * Delay before dial `attempt` (0 for the first) after the relay said it is restarting and to come
 * back in `hintMs`, `elapsedMs` ago: the first at the hint plus a random share of
 * {@link RESTART_SPREAD_MS}, then every {@link RESTART_POLL_MS} or so (half to one and a half of it)
 * — a refused dial costs the relay's kernel little, and a player waiting out a long backoff would
 * come back seconds after the relay does. Null past {@link RESTART_WINDOW_MS}: the usual backoff.
 */
export function restartDelay(
  hintMs: number,
  attempt: number,
  elapsedMs: number,
  random: () => number = Math.random,
): number | null {
  if (elapsedMs > RESTART_WINDOW_MS) return null;
  if (attempt <= 0) return Math.max(0, Math.round(hintMs - elapsedMs + random() * RESTART_SPREAD_MS));
  return Math.round(RESTART_POLL_MS / 2 + random() * RESTART_POLL_MS);
}
