/**
 * The logic script contract: what a script receives and what it must return. A script is an ES module
 * that exports `update(ball, world, dt)` and returns the new ball. The page checks every value that
 * comes back from the worker here, on its own side: the worker runs untrusted code, so nothing it
 * says is believed before this check.
 */
import * as v from 'valibot';
import { ErrorCode, fail, ok, type Result } from '../../protocol/errors.ts';

/** The ball, in world units; velocity in world units per second; `y` grows downward, as on a screen. */
export interface Ball {
  readonly x: number;
  readonly y: number;
  readonly vx: number;
  readonly vy: number;
  readonly radius: number;
}

/** The world the ball lives in; `time` is seconds since the game started. */
export interface World {
  readonly width: number;
  readonly height: number;
  readonly time: number;
}

/** The demo game's world: the seed's 800 × 600 screen. */
export const WORLD_WIDTH = 800;
/** See {@link WORLD_WIDTH}. */
export const WORLD_HEIGHT = 600;

/** Largest magnitude accepted for any number a script returns: beyond it a value is junk, not physics. */
export const MAX_MAGNITUDE = 1e6;
/** Radius a script may return (the theme's `ballRadius` is 2–150; a script may pulse around it). */
export const MIN_RADIUS = 1;
/** See {@link MIN_RADIUS}. */
export const MAX_RADIUS = 300;

const Coordinate = v.pipe(
  v.number('must be a finite number'),
  v.finite('must be a finite number'),
  v.minValue(-MAX_MAGNITUDE, `must be within ±${MAX_MAGNITUDE}`),
  v.maxValue(MAX_MAGNITUDE, `must be within ±${MAX_MAGNITUDE}`),
);

/** What `update` must return. Extra properties are ignored (and not passed back next frame). */
export const BallSchema = v.object({
  x: Coordinate,
  y: Coordinate,
  vx: Coordinate,
  vy: Coordinate,
  radius: v.pipe(
    v.number('must be a finite number'),
    v.finite('must be a finite number'),
    v.minValue(MIN_RADIUS, `must be at least ${MIN_RADIUS}`),
    v.maxValue(MAX_RADIUS, `must be at most ${MAX_RADIUS}`),
  ),
});

/**
 * Checks one value returned by a script. The message names the first bad field the way a scripter
 * reads it: `update() returned NaN for ball.x`.
 */
export function checkBall(value: unknown): Result<Ball, typeof ErrorCode.BAD_SCRIPT> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(ErrorCode.BAD_SCRIPT, `update() returned ${describe(value)}, not a ball object`);
  }
  const parsed = v.safeParse(BallSchema, value, { abortEarly: true });
  if (parsed.success) return ok(parsed.output);
  const issue = parsed.issues[0];
  const key = issue?.path?.map((p) => String(p.key)).join('.') ?? '';
  const got = issue ? describe(issue.input) : 'an invalid value';
  return fail(
    ErrorCode.BAD_SCRIPT,
    `update() returned ${got} for ball.${key}: ${issue?.message ?? 'invalid'}`,
  );
}

/** A short, safe description of a value for an error message (never the value's own `toString`). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return `a string`;
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * What a script slot's module must export and how its answers are checked: the sandbox, its trial
 * calls, its fallback and the dry runs know a contract only through this. Arguments go in as JSON
 * data (copied, never shared); the result comes back as JSON data (plus NaN and ±Infinity, so a
 * validator can name them) and is believed only once `check` accepts it. A contract is code of the
 * game, compiled into the page: nothing in a release can change it (see `declared.ts` for what a
 * room publishes to its tools).
 */
export interface ScriptContract<T> {
  /** The exported function to call (a module may instead export it as `default`). */
  readonly entry: string;
  /** The function as a scripter reads it, for messages: `update(ball, world, dt)`. */
  readonly signature: string;
  /**
   * The page's own check of a result (plain JSON data), given the arguments of the call (e.g. one
   * answer per enemy passed in); never trusts the value's own methods.
   */
  check(value: unknown, args: readonly unknown[]): Result<T, typeof ErrorCode.BAD_SCRIPT>;
  /**
   * Argument lists for the trial calls a new script must pass before it replaces the running one
   * (and for dry runs). None: the script is only loaded and its entry looked up before it runs.
   */
  readonly samples?: readonly (readonly unknown[])[];
}

/** What a game gives {@link defineContract}. */
export interface ContractSpec<T> {
  /** The exported function to call. */
  readonly entry: string;
  /** The function as a scripter reads it (default: `entry(…)`). */
  readonly signature?: string;
  /**
   * Checks one result and returns it typed, or throws an `Error` whose message says what is wrong
   * (a hand-written check, or a schema library's `parse`). Runs on the page, on plain JSON data;
   * `args` are the arguments the call was made with.
   */
  readonly validate: (value: unknown, args: readonly unknown[]) => T;
  /** Argument lists for trial calls (see {@link ScriptContract.samples}). */
  readonly samples?: readonly (readonly unknown[])[];
}

/**
 * A contract from a validator that throws: `defineContract({ entry: 'think', validate, samples })`.
 * A refusal reads `think() returned junk: <the validator's message>`.
 */
export function defineContract<T>(spec: ContractSpec<T>): ScriptContract<T> {
  const signature = spec.signature ?? `${spec.entry}(…)`;
  return {
    entry: spec.entry,
    signature,
    ...(spec.samples ? { samples: spec.samples } : {}),
    check(value, args) {
      try {
        return ok(spec.validate(value, args));
      } catch (error) {
        const message: unknown = error instanceof Error ? Reflect.get(error, 'message') : null;
        const why = typeof message === 'string' ? message : `got ${describe(value)}`;
        return fail(ErrorCode.BAD_SCRIPT, `${spec.entry}() returned junk: ${why}`);
      }
    },
  };
}

/** The demo's contract: `update(ball, world, dt)` returns the next ball. */
export const BALL_CONTRACT: ScriptContract<Ball> = {
  entry: 'update',
  signature: 'update(ball, world, dt)',
  check: checkBall,
  samples: [[initialBall(), { width: WORLD_WIDTH, height: WORLD_HEIGHT, time: 0 }, 1 / 60]],
};

/** A ball that starts where the seed's did: middle of the screen, moving diagonally. */
export function initialBall(radius = 15): Ball {
  return { x: WORLD_WIDTH / 2, y: WORLD_HEIGHT / 2, vx: 240, vy: 180, radius };
}
