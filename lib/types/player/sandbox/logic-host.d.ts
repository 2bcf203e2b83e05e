/**
 * Runs the demo game's logic script for the frame loop without ever holding it up: the ball
 * contract (`update(ball, world, dt)`) on a {@link ScriptHost}, which owns the sandboxes, the trial
 * calls, the standby and the fallback. The loop calls `tick` every frame; `tick` sends at most one
 * `update` call to the running script (one round trip per frame) and returns at once; the ball the
 * loop draws is the last good answer. A new script is tried for a few frames on a copy of the ball,
 * from where the ball is now, before it replaces anything.
 */
import { type Ball, type World } from './contract.js';
import type { ScriptResult } from './sandbox.js';
import { type ScriptHostOptions, type ScriptIdentity } from './script-host.js';
export { DEFAULT_TRIAL_FRAMES, type ScriptIdentity } from './script-host.js';
/** Options of {@link LogicHost}. */
export interface LogicHostOptions extends Omit<ScriptHostOptions<Ball>, 'trialArgs' | 'trials'> {
    /**
     * Frames a new script runs on a copy of the ball before it takes over (default
     * {@link DEFAULT_TRIAL_FRAMES}). Each is one round trip through the page's event loop — on a page
     * busy rendering, about one rendered frame — so this is the swap's latency as well as its check.
     */
    readonly trialFrames?: number;
    /** Longest simulated step, in seconds: after a stall the ball moves on, it doesn't jump (default 0.1). */
    readonly maxDt?: number;
}
/** The demo game's logic, run in sandboxes; see the file comment. */
export declare class LogicHost {
    private current;
    private readonly host;
    private inFlight;
    private pendingDt;
    private radiusEpoch;
    private disposed;
    private readonly maxDt;
    /** World for a trial step: the last one the loop gave (the demo's 800 × 600 until then). */
    private lastWorld;
    constructor(ball: Ball, options?: LogicHostOptions);
    /** The last good ball. */
    get ball(): Ball;
    /** The script that runs now, or null before the first one is installed. */
    get running(): ScriptIdentity | null;
    /** Sets the ball's radius (the theme's `ballRadius`); the next update starts from it. */
    setRadius(radius: number): void;
    /**
     * Tries `source` in a fresh sandbox for a few frames; if it holds, it becomes the running script
     * and the one before becomes the standby. Installs run one after another, in call order.
     */
    install(source: string, identity: ScriptIdentity): Promise<ScriptResult<ScriptIdentity>>;
    /** One frame: at most one update in flight; the loop never waits for it. */
    tick(world: World, dt: number): void;
    /** Terminates every sandbox. */
    dispose(): void;
}
