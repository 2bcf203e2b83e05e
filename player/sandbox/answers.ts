/**
 * What the page makes of a worker's answers: each is JSON text from the engine, parsed (non-finite
 * numbers revived so a validator can name them) and checked by the contract's validator before it is
 * believed. A trial's answers are checked in order, each with the arguments its call really got.
 */
import type { ScriptContract } from './contract.ts';
import { Fault, reviveNonFinite } from './wire.ts';
import type { Outcome } from './channel.ts';
import { describeFailure, scriptFailure, type ScriptResult, type TrialFailure } from './failure.ts';

/** One call's answer (JSON text, or undefined) checked with the contract's validator. */
export function checkAnswer<T>(
  contract: ScriptContract<T>,
  value: unknown,
  args: readonly unknown[],
): ScriptResult<T> {
  let parsed: unknown;
  try {
    if (value !== undefined && typeof value !== 'string') throw new TypeError('not JSON text');
    parsed = value === undefined ? undefined : JSON.parse(value, reviveNonFinite);
  } catch {
    return scriptFailure('the sandbox answered junk', Fault.SCRIPT);
  }
  const checked = contract.check(parsed, args);
  return checked.ok ? checked : scriptFailure(checked.message, Fault.SCRIPT);
}

/**
 * A trial's outcome (the list of its answers, or the failure of call `at` with the answers before
 * it) checked call by call: `calls` are the argument lists sent; with `chain`, each call after the
 * first got the result before as its first argument. Every call before a failed one answered, so
 * those answers are checked first and the failure reported is the first there was (a junk answer
 * before a timeout, say). Each call had `budgetMs`.
 */
export function checkTrial<T>(
  contract: ScriptContract<T>,
  calls: readonly (readonly unknown[])[],
  chain: boolean,
  outcome: Outcome,
  budgetMs: number,
): { readonly ok: true; readonly values: T[] } | TrialFailure {
  const what = `${contract.entry}()`;
  let failure: TrialFailure | null = outcome.ok
    ? null
    : { ...describeFailure(outcome, what, budgetMs), at: outcome.at ?? 0 };
  const answered = failure ? failure.at : calls.length;
  const texts = outcome.ok ? outcome.value : outcome.partial;
  const values: T[] = [];
  if (answered > 0 && !(Array.isArray(texts) && texts.length >= answered)) {
    return { ...scriptFailure('the sandbox answered junk', Fault.SCRIPT), at: 0 };
  }
  for (let i = 0; i < answered; i++) {
    const args = chain && i > 0 ? [values[i - 1], ...(calls[i] ?? []).slice(1)] : (calls[i] ?? []);
    const result = checkAnswer(contract, (texts as unknown[])[i], args);
    if (!result.ok) {
      failure = { ...result, at: i };
      break;
    }
    values.push(result.value);
  }
  return failure ?? { ok: true, values };
}
