/**
 * How the sandbox reports a script that failed: one shape for every failure (code `BAD_SCRIPT`, a
 * message cut to what an ack carries, its cause), whichever part of the sandbox found it.
 */
import { ErrorCode } from '../../protocol/errors.ts';
import { MAX_ERROR_TEXT } from '../../protocol/limits.ts';
import { Fault } from './wire.ts';

/**
 * A script failure as the sandbox reports it: code `BAD_SCRIPT`, a message for people and acks, and
 * its cause. `transient` when it may not be the script's fault — a timeout (a starved worker thread
 * looks exactly like a hung one) or a failure of the sandbox itself — so callers don't hold it
 * against the script for ever; a throw, a junk answer, or running out of memory is the script's own.
 */
export interface ScriptFailure {
  readonly ok: false;
  readonly code: typeof ErrorCode.BAD_SCRIPT;
  readonly message: string;
  readonly fault: Fault;
  readonly timedOut: boolean;
  readonly transient: boolean;
}

/** A value, or a {@link ScriptFailure}. */
export type ScriptResult<T> = { readonly ok: true; readonly value: T } | ScriptFailure;

/** A failure of a trial: the {@link ScriptFailure} of its call number `at` (counted from 0). */
export type TrialFailure = ScriptFailure & { readonly at: number };

/** A failure with its message cut to what an ack carries. */
export function scriptFailure(message: string, fault: Fault): ScriptFailure {
  return {
    ok: false,
    code: ErrorCode.BAD_SCRIPT,
    message: message.slice(0, MAX_ERROR_TEXT),
    fault,
    timedOut: fault === Fault.TIMEOUT,
    transient: fault === Fault.TIMEOUT || fault === Fault.HOST,
  };
}

/** Text for anything thrown on the page's side; never calls the value's own conversions. */
export function thrownText(error: unknown): string {
  if (error instanceof Error) {
    const message: unknown = Reflect.get(error, 'message');
    return typeof message === 'string' ? message : 'an error';
  }
  return typeof error === 'string' ? error : `a thrown ${typeof error}`;
}

/** A request that failed, as the page's end of the channel saw it (see `channel.ts`). */
export interface FailedOutcome {
  readonly ok: false;
  readonly fault: Fault;
  readonly error: string;
  /** A trial's failed call, and what the calls before it answered. */
  readonly at?: number;
  readonly partial?: unknown;
}

/** The failure of `what` (a call, a load) for a failed request with the budget it had. */
export function describeFailure(outcome: FailedOutcome, what: string, budgetMs: number): ScriptFailure {
  switch (outcome.fault) {
    case Fault.TIMEOUT:
      return scriptFailure(`${what} took longer than ${budgetMs} ms (stopped)`, Fault.TIMEOUT);
    case Fault.MEMORY:
      return scriptFailure(`${what} ran out of memory (stopped)`, Fault.MEMORY);
    default:
      return scriptFailure(outcome.error, outcome.fault);
  }
}
