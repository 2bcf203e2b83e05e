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
export declare function backoffDelay(attempt: number, options?: BackoffOptions, random?: () => number): number;
