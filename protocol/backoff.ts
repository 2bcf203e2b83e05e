/**
 * Reconnect delays, the one rule for every client of the relay (the player in a page or in Node, the
 * admin's roster line): exponential, capped, with jitter so that a thousand players dropped by one
 * relay restart don't all knock again in the same millisecond.
 */
import { RECONNECT_INITIAL_MS, RECONNECT_MAX_MS } from './limits.ts';

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
