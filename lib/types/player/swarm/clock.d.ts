/**
 * Time, as the swarm sees it: injected so that the same swarm code runs on real timers in browsers
 * and Node, and on a virtual clock in the simulation.
 */
/** An opaque timer handle. */
export type TimerHandle = unknown;
/** The little the swarm needs of time. */
export interface Clock {
    now(): number;
    setTimeout(fn: () => void, ms: number): TimerHandle;
    clearTimeout(handle: TimerHandle): void;
}
/** Wall-clock time and the platform's timers. */
export declare const realClock: Clock;
