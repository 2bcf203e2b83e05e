/**
 * Reconnect delays: exponential, capped, with jitter so that a thousand players dropped by one
 * relay restart don't all knock again in the same millisecond.
 */

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** First delay, in ms (default 500). */
  readonly initialMs?: number;
  /** Largest delay, in ms (default 15 000). */
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
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 15_000;
  const step = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}
