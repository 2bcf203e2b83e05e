/**
 * The worker side of the sandbox: load one script, call its `update`. Nothing here is trusted by the
 * page — the script shares this scope and may rewrite any of it — so this file only has to be useful
 * to an honest script; the page times every call and checks every answer (`sandbox.ts`).
 */
import type { Ball, World } from './contract.ts';

/** Evaluates module source and returns its namespace (a Blob URL import in browsers). */
export type Evaluate = (source: string) => Promise<object>;

/** Answer of {@link SandboxApi.load}. */
export type LoadAnswer = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** Answer of {@link SandboxApi.step}: the raw value `update` returned (the page checks it). */
export type StepAnswer =
  { readonly ok: true; readonly ball: unknown } | { readonly ok: false; readonly error: string };

/** What the worker exposes through Comlink. */
export interface SandboxApi {
  /** Evaluates the script module once; finds its `update`. */
  load(source: string): Promise<LoadAnswer>;
  /** Calls `update(ball, world, dt)` once. */
  step(ball: Ball, world: World, dt: number): StepAnswer;
}

type UpdateFn = (...args: unknown[]) => unknown;

/** Text for an error a script threw, which may be anything (even an object whose getters throw). */
export function errorText(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return `threw ${typeof error === 'string' ? JSON.stringify(error) : String(error)}`;
  } catch {
    return 'threw a value that cannot be described';
  }
}

/** Copies the ball fields out of what `update` returned, so that only plain numbers cross back. */
function pickBall(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const field = (name: string): unknown => Reflect.get(value, name);
  return { x: field('x'), y: field('y'), vx: field('vx'), vy: field('vy'), radius: field('radius') };
}

function findUpdate(namespace: object): UpdateFn | null {
  const named: unknown = Reflect.get(namespace, 'update');
  if (typeof named === 'function') return (...args) => Reflect.apply(named, undefined, args);
  const fallback: unknown = Reflect.get(namespace, 'default');
  if (typeof fallback === 'function') return (...args) => Reflect.apply(fallback, undefined, args);
  return null;
}

/** Builds the API around an evaluator. One API instance runs one script, once loaded. */
export function createSandboxApi(evaluate: Evaluate): SandboxApi {
  let update: UpdateFn | null = null;
  return {
    async load(source) {
      if (update) return { ok: false, error: 'this sandbox already runs a script' };
      try {
        const found = findUpdate(await evaluate(source));
        if (!found)
          return { ok: false, error: 'the script does not export a function update(ball, world, dt)' };
        update = found;
        return { ok: true };
      } catch (error) {
        return { ok: false, error: `loading the script failed: ${errorText(error)}` };
      }
    },
    step(ball, world, dt) {
      if (!update) return { ok: false, error: 'no script loaded' };
      try {
        // Fresh objects each call: a script that mutates its arguments only changes its own copy.
        return { ok: true, ball: pickBall(update({ ...ball }, Object.freeze({ ...world }), dt)) };
      } catch (error) {
        return { ok: false, error: `update() threw ${errorText(error)}` };
      }
    },
  };
}
