/**
 * Checking a script slot before it is published, in the player's own sandbox (`player/sandbox/`: the
 * same worker, lockdown, time budgets and output checks that players use). A slot whose contract the
 * page knows gets a dry run: the demo's `logic` slot runs the ball contract for a few hundred
 * simulated frames, and its path is collected for a preview. A slot the room declares a contract for
 * in its `contracts` config slot (the draft about to be published) gets that contract's trial calls
 * (`player/sandbox/declared.ts`, the same check as `patchcast publish`). Any other script slot gets a
 * load check only: its module is evaluated in the sandbox (top-level code, imports, within the load
 * budget) and nothing is called. The publish page imports this file on demand, so the worker is
 * bundled but only fetched when a check starts.
 */
import { dryRun } from '../../player/sandbox/dry-run.ts';
import { WORLD_HEIGHT, WORLD_WIDTH, type Ball } from '../../player/sandbox/contract.ts';
import { ScriptSandbox } from '../../player/sandbox/sandbox.ts';
import { viteSandbox } from '../../player/sandbox/vite-sandbox.ts';
import { checkScript as checkDeclared } from '../../player/sandbox/declared.ts';
import type { DeclaredContract } from '../../protocol/contracts.ts';
import { contractOf } from './slot-board.ts';

/** Number of frames a dry run simulates (5 s at 60 fps). */
export const DRY_RUN_FRAMES = 300;

/** The world of the ball contract, for drawing the path. */
export const WORLD = { width: WORLD_WIDTH, height: WORLD_HEIGHT } as const;

/**
 * The contract a slot's script is checked against: `ball` (the demo's `update`), `declared` (the
 * room's `contracts` slot), or none.
 */
export type ContractName = 'ball' | 'declared' | null;

/** How a check went. */
export interface DryRunResult {
  readonly ok: boolean;
  /** The contract it ran (null: the module was only loaded). */
  readonly contract: ContractName;
  /** Frames (or declared trial calls) that completed (0 for a load check). */
  readonly frames: number;
  /** The failure in the words a player would ack it with, or null. */
  readonly error: string | null;
  /** Mean and worst time per frame, worker round trip included. */
  readonly meanMs: number;
  readonly maxMs: number;
  /** Every good ball, in order. */
  readonly path: readonly Ball[];
}

/** Runs `source` for `frames` frames of the ball contract in a fresh player sandbox. */
export async function dryRunScript(source: string, frames = DRY_RUN_FRAMES): Promise<DryRunResult> {
  const path: Ball[] = [];
  const report = await dryRun(source, { spawn: viteSandbox, frames, onFrame: (ball) => path.push(ball) });
  return {
    ok: report.ok,
    contract: 'ball',
    frames: report.frames,
    error: report.ok ? null : (report.error ?? 'the script failed'),
    meanMs: report.meanMs,
    maxMs: report.maxMs,
    path,
  };
}

/**
 * Loads `source` in a fresh player sandbox and calls nothing: its top-level code runs there, within
 * the load budget, and no exported function is required.
 */
export async function loadCheck(source: string): Promise<DryRunResult> {
  const opened = await ScriptSandbox.open(source, { spawn: viteSandbox }, null);
  if (opened.ok) opened.value.terminate();
  return {
    ok: opened.ok,
    contract: null,
    frames: 0,
    error: opened.ok ? null : opened.message,
    meanMs: 0,
    maxMs: 0,
    path: [],
  };
}

/** Runs the trial calls the room declares for the slot, in a fresh player sandbox. */
export async function declaredCheck(source: string, declared: DeclaredContract): Promise<DryRunResult> {
  const check = await checkDeclared(source, declared, { spawn: viteSandbox });
  return {
    ok: check.ok,
    contract: 'declared',
    frames: check.calls,
    error: check.ok ? null : (check.error ?? 'the script failed'),
    meanMs: 0,
    maxMs: check.maxMs,
    path: [],
  };
}

/**
 * The check for a script slot: the room's declared contract for it when there is one, else the
 * ball's dry run for the demo's slot, else a load check.
 */
export function checkScript(
  slot: string,
  source: string,
  declared: DeclaredContract | null = null,
): Promise<DryRunResult> {
  if (declared) return declaredCheck(source, declared);
  return contractOf(slot) === 'ball' ? dryRunScript(source) : loadCheck(source);
}
