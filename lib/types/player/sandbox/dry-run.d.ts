/**
 * A rehearsal of a logic script before it is published (the admin site's dry run) or adopted (the
 * player's trial): a fresh sandbox, a few hundred simulated frames with the player's own budget and
 * checks, a report, and the worker is gone.
 */
import { type Ball } from './contract.js';
import { type SandboxOptions } from './sandbox.js';
/** Options of {@link dryRun}. */
export interface DryRunOptions extends SandboxOptions {
    /** Frames to simulate (default 300: five seconds at 60 fps). */
    readonly frames?: number;
    /** Seconds per frame (default 1/60). */
    readonly dt?: number;
    /** Starting ball (default: {@link initialBall}). */
    readonly ball?: Ball;
    /** World size (default 800 × 600). */
    readonly width?: number;
    readonly height?: number;
    /** Called with each good ball state (for a preview). */
    readonly onFrame?: (ball: Ball, frame: number) => void;
}
/** What a dry run found. */
export interface DryRunReport {
    /** True when every frame ran within budget and returned a good ball. */
    readonly ok: boolean;
    /** Frames that completed. */
    readonly frames: number;
    /** The failure, in the words the player would ack it with. */
    readonly error?: string;
    /** Time from the call to the answer, per frame (round trip through the worker included). */
    readonly meanMs: number;
    readonly maxMs: number;
    /** The last good ball. */
    readonly ball: Ball;
}
/** Loads `source` in a fresh sandbox, runs it for `frames` frames, reports, and terminates it. */
export declare function dryRun(source: string, options?: DryRunOptions): Promise<DryRunReport>;
