/**
 * The tools' check of a script against the contract its room declares (`protocol/contracts.ts`):
 * `patchcast publish` runs it before a script ships (and `--dry-run` runs nothing else), the admin's
 * dry run too. The script goes into the player's own sandbox — the same worker, lockdown, memory
 * ceiling and time budgets — its entry must be exported, and each sample argument list is one trial
 * call whose result must be JSON data of the declared shape. The player's own checks stay the game's
 * code: this only tells a publisher early what a player would refuse.
 */
import { ErrorCode, fail, ok } from '../../protocol/errors.ts';
import { shapeError, type DeclaredContract } from '../../protocol/contracts.ts';
import type { ScriptContract } from './contract.ts';
import { DEFAULT_STEP_BUDGET_MS, ScriptSandbox, type SandboxOptions, type ScriptResult } from './sandbox.ts';

/** What a check found. */
export interface ContractCheck {
  readonly ok: boolean;
  /** Trial calls that passed. */
  readonly calls: number;
  /** The failure in the words a player would ack it with. */
  readonly error?: string;
  /** Worst time of one call, worker round trip included (ms). */
  readonly maxMs: number;
}

/** The script contract a declaration describes (its validator checks the declared shape). */
export function declaredContract(declared: DeclaredContract): ScriptContract<unknown> {
  const arity = declared.arity ?? declared.samples[0]?.length ?? 0;
  const args = Array.from({ length: arity }, (_, i) => `arg${i + 1}`).join(', ');
  return {
    entry: declared.entry,
    signature: `${declared.entry}(${args})`,
    samples: declared.samples,
    check(value) {
      const bad = declared.returns === undefined ? null : shapeError(value, declared.returns);
      return bad ? fail(ErrorCode.BAD_SCRIPT, `${declared.entry}() returned junk: ${bad}`) : ok(value);
    },
  };
}

/**
 * Loads `source` in a fresh sandbox and makes each declared trial call. `declared` null: no contract
 * is known for the slot, so the module is only loaded (its top-level code runs within the load
 * budget). A declared budget is used only when it is tighter than the player's. A failure that may
 * not be the script's (a timeout: a busy machine, or the engine's first calls compiling its code)
 * is tried once more in a fresh sandbox, as a player tries such a script again later; a script that
 * really hangs fails both times. `standby`: a sandbox started ahead with the same `options`
 * (`ScriptSandbox.start`, while the caller did other work) for the first try; a retry starts afresh.
 */
export async function checkScript(
  source: string,
  declared: DeclaredContract | null,
  options: SandboxOptions = {},
  standby?: Promise<ScriptResult<ScriptSandbox>>,
): Promise<ContractCheck> {
  const first = await checkOnce(source, declared, options, standby);
  return first.ok || !first.transient ? first.check : (await checkOnce(source, declared, options)).check;
}

async function checkOnce(
  source: string,
  declared: DeclaredContract | null,
  options: SandboxOptions,
  standby?: Promise<ScriptResult<ScriptSandbox>>,
): Promise<{ readonly ok: boolean; readonly transient: boolean; readonly check: ContractCheck }> {
  const playerBudget = options.budgetMs ?? DEFAULT_STEP_BUDGET_MS;
  const budgetMs = Math.min(playerBudget, declared?.budgetMs ?? playerBudget);
  const contract = declared ? declaredContract(declared) : null;
  const started = standby ? await standby : null;
  const opened = !started
    ? await ScriptSandbox.open(source, { ...options, budgetMs }, contract)
    : started.ok
      ? await started.value.load(source, { ...options, budgetMs }, contract)
      : started;
  if (!opened.ok) {
    const check = { ok: false, calls: 0, error: opened.message, maxMs: 0 };
    return { ok: false, transient: opened.transient, check };
  }
  const sandbox = opened.value;
  let maxMs = 0;
  try {
    const samples = contract?.samples ?? [];
    for (let i = 0; i < samples.length; i++) {
      const started = performance.now();
      const result = await sandbox.call(contract!, samples[i] ?? []);
      maxMs = Math.max(maxMs, performance.now() - started);
      if (!result.ok) {
        const check = { ok: false, calls: i, error: `trial call ${i}: ${result.message}`, maxMs };
        return { ok: false, transient: result.transient, check };
      }
    }
    return { ok: true, transient: false, check: { ok: true, calls: samples.length, maxMs } };
  } finally {
    sandbox.terminate();
  }
}
