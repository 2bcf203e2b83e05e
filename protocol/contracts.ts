/**
 * The `contracts` config slot: what a room publishes about its own script slots for the tools that
 * check a script before it ships (`patchcast publish`'s dry run, the admin's). Per script slot: the
 * function the module must export, its arity (for messages), sample argument lists for trial calls,
 * and optionally the shape of what it returns. It is advice to tools and nothing else: a player never
 * reads it, because the contract a player enforces (its validator, budgets and trial calls) is code
 * of the game, compiled into the page — so a release cannot loosen a player's checks. Tools never let
 * it loosen theirs either: a declared budget can only be tighter than a player's.
 */
import * as v from 'valibot';
import { ErrorCode } from './errors.ts';
import { validator } from './validate.ts';
import { SlotName } from './release.ts';

/** The name of the config slot that holds a room's declared contracts. */
export const CONTRACTS_SLOT = 'contracts';
/** Sample argument lists per declared contract (each one a trial call). */
export const MAX_CONTRACT_SAMPLES = 16;
/** Arguments per call. */
export const MAX_CONTRACT_ARITY = 16;
/** Nesting of a `returns` shape. */
export const MAX_SHAPE_DEPTH = 8;

/**
 * The shape of a value, as JSON: a type name (`number` — finite —, `string`, `boolean`, `null`,
 * `any`), `[shape]` (an array of such values), or `{ "key": shape, … }` (an object with at least
 * these keys).
 */
export type Shape =
  'number' | 'string' | 'boolean' | 'null' | 'any' | readonly [Shape] | { readonly [key: string]: Shape };

const ShapeName = v.picklist(['number', 'string', 'boolean', 'null', 'any']);

function shapeSchema(depth: number): v.GenericSchema<Shape> {
  if (depth >= MAX_SHAPE_DEPTH) return ShapeName;
  const inner = v.lazy(() => shapeSchema(depth + 1));
  return v.union([ShapeName, v.tuple([inner]), v.record(v.pipe(v.string(), v.maxLength(64)), inner)]);
}

/** One script slot's declared contract. */
export const DeclaredContractSchema = v.strictObject({
  /** The exported function (a JavaScript identifier). */
  entry: v.pipe(v.string(), v.regex(/^[A-Za-z_$][\w$]{0,63}$/, 'must be a function name')),
  /** Number of arguments, for messages (`think(a, b, c)`). */
  arity: v.exactOptional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_CONTRACT_ARITY))),
  /** Argument lists for trial calls. */
  samples: v.pipe(
    v.array(v.pipe(v.array(v.unknown()), v.maxLength(MAX_CONTRACT_ARITY))),
    v.maxLength(MAX_CONTRACT_SAMPLES),
  ),
  /** What every call must return. */
  returns: v.exactOptional(shapeSchema(0)),
  /** A per-call budget in ms for tools' trial calls: only ever tighter than the player's. */
  budgetMs: v.exactOptional(v.pipe(v.number(), v.integer(), v.minValue(1))),
});
/** See {@link DeclaredContractSchema}. */
export type DeclaredContract = v.InferOutput<typeof DeclaredContractSchema>;

/** The `contracts` slot's config: `{ "slots": { "<script slot>": DeclaredContract } }`. */
export const ContractsConfigSchema = v.strictObject({
  slots: v.record(SlotName, DeclaredContractSchema),
});
/** See {@link ContractsConfigSchema}. */
export type ContractsConfig = v.InferOutput<typeof ContractsConfigSchema>;

/** Validates a `contracts` config. */
export const parseContracts = validator(ContractsConfigSchema, ErrorCode.BAD_CONFIG, 'contracts');

/** How a value breaks `shape`, as `path: expected …, got …`, or null when it fits. */
export function shapeError(value: unknown, shape: Shape, path = 'result'): string | null {
  const got = (): string =>
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'an array'
        : typeof value === 'number' && !Number.isFinite(value)
          ? String(value)
          : typeof value;
  if (typeof shape === 'string') {
    switch (shape) {
      case 'any':
        return null;
      case 'null':
        return value === null ? null : `${path}: expected null, got ${got()}`;
      case 'number':
        return typeof value === 'number' && Number.isFinite(value)
          ? null
          : `${path}: expected a finite number, got ${got()}`;
      default:
        return typeof value === shape ? null : `${path}: expected a ${shape}, got ${got()}`;
    }
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return `${path}: expected an array, got ${got()}`;
    const item: Shape = shape[0];
    for (let i = 0; i < value.length; i++) {
      const bad = shapeError(value[i], item, `${path}[${i}]`);
      if (bad) return bad;
    }
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `${path}: expected an object, got ${got()}`;
  }
  for (const [key, inner] of Object.entries(shape)) {
    const bad = shapeError(
      Object.hasOwn(value, key) ? Reflect.get(value, key) : undefined,
      inner,
      `${path}.${key}`,
    );
    if (bad) return bad;
  }
  return null;
}
