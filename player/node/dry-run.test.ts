// @vitest-environment node
/**
 * The Node dry run's standby (`dry-run.ts`, `checkScript`'s `standby`): a sandbox started ahead of
 * the script is the one the first check uses; a standby that failed to start costs the check
 * nothing but a fresh start; and either way a bad script is still refused.
 */
import { describe, expect, it } from 'vitest';
import { Fault } from '../sandbox/wire.ts';
import { scriptFailure } from '../sandbox/sandbox.ts';
import { NODE_LOAD_BUDGET_MS, ScriptSandbox, checkScript, spawnNodeSandbox } from './dry-run.ts';

function counting() {
  let spawned = 0;
  const spawn = () => {
    spawned++;
    return spawnNodeSandbox();
  };
  return { spawn, spawned: () => spawned };
}

describe('checkScript with a standby sandbox', () => {
  it('checks in the standby it was given, and refuses a bad script there', async () => {
    const { spawn, spawned } = counting();
    const options = { spawn, loadBudgetMs: NODE_LOAD_BUDGET_MS };
    const standby = ScriptSandbox.start(options);
    expect(spawned()).toBe(1);
    const good = await checkScript('export const x = 1;', null, options, standby);
    expect(good).toMatchObject({ ok: true });
    expect(spawned()).toBe(1); // no second worker
    const bad = await checkScript('throw new Error("top");', null, options, ScriptSandbox.start(options));
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/top/);
    expect(spawned()).toBe(2); // a script's own failure is not retried
  });

  it('starts afresh when the standby failed to start', async () => {
    const { spawn, spawned } = counting();
    const options = { spawn, loadBudgetMs: NODE_LOAD_BUDGET_MS };
    const failed = Promise.resolve(scriptFailure('could not start the sandbox: test', Fault.HOST));
    const check = await checkScript(
      'export function steer() { return 1; }',
      { entry: 'steer', samples: [[]], returns: 'number' },
      options,
      failed,
    );
    expect(check).toMatchObject({ ok: true, calls: 1 });
    expect(spawned()).toBe(1);
    const junk = await checkScript(
      'export function steer() { return "x"; }',
      { entry: 'steer', samples: [[]], returns: 'number' },
      options,
      failed,
    );
    expect(junk.ok).toBe(false);
    expect(junk.error).toMatch(/returned junk/);
  });
});
