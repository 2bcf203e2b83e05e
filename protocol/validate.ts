/**
 * The bridge from a valibot schema to a {@link Result}: every validator in `protocol/` is built here,
 * so that "parse, don't cast" has one implementation and one error format.
 */
import * as v from 'valibot';
import { fail, ok, type ErrorCode, type Result } from './errors.ts';

/** A schema of any output type, as valibot models it. */
export type AnySchema = v.GenericSchema<unknown, unknown>;

/** A function that turns `unknown` into a typed value or a typed error with `code`. */
export type Validator<T, C extends ErrorCode = ErrorCode> = (input: unknown) => Result<T, C>;

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Builds a validator from a schema; failures carry `code` and the first issue, with its path. */
export function validator<S extends AnySchema, C extends ErrorCode>(
  schema: S,
  code: C,
  what: string,
): Validator<v.InferOutput<S>, C> {
  return (input) => {
    const parsed = v.safeParse(schema, input, { abortEarly: true });
    if (parsed.success) return ok(parsed.output);
    const issue = parsed.issues[0];
    return fail(code, `bad ${what}: ${issue ? describeIssue(issue) : 'invalid'}`);
  };
}
