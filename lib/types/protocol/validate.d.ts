/**
 * The bridge from a valibot schema to a {@link Result}: every validator in `protocol/` is built here,
 * so that "parse, don't cast" has one implementation and one error format.
 */
import * as v from 'valibot';
import { type ErrorCode, type Result } from './errors.js';
/** A schema of any output type, as valibot models it. */
export type AnySchema = v.GenericSchema<unknown, unknown>;
/** A function that turns `unknown` into a typed value or a typed error with `code`. */
export type Validator<T, C extends ErrorCode = ErrorCode> = (input: unknown) => Result<T, C>;
/** Builds a validator from a schema; failures carry `code` and the first issue, with its path. */
export declare function validator<S extends AnySchema, C extends ErrorCode>(schema: S, code: C, what: string): Validator<v.InferOutput<S>, C>;
