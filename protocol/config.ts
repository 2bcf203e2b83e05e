/**
 * Config slots: small UTF-8 JSON objects. The `theme` slot has a fixed schema (colours and the ball's
 * size) that the relay checks before storing and the player checks before applying.
 */
import * as v from 'valibot';
import { ErrorCode, fail, type Result } from './errors.ts';
import { fromUtf8, utf8 } from './bytes.ts';
import { MAX_CONFIG_BYTES } from './limits.ts';
import { validator } from './validate.ts';
import { CONTRACTS_SLOT, parseContracts } from './contracts.ts';

/** An sRGB colour as `#rrggbb`. */
export const HexColor = v.pipe(v.string(), v.regex(/^#[0-9a-fA-F]{6}$/, 'colour must be #rrggbb'));

/**
 * The well-known slot names of the demo game. `seed` holds the Python `update_ball_position` source
 * that the relay hands to seed-protocol clients; the player never runs it.
 */
export const WellKnownSlot = {
  logic: 'logic',
  background: 'background',
  theme: 'theme',
  seedScript: 'seed',
} as const;

/** The `theme` config: background and ball colours, ball radius in world units. */
export const ThemeConfigSchema = v.strictObject({
  background: v.exactOptional(HexColor),
  ball: v.exactOptional(HexColor),
  ballRadius: v.exactOptional(v.pipe(v.number(), v.finite(), v.minValue(2), v.maxValue(150))),
});
/** A parsed theme. */
export type ThemeConfig = v.InferOutput<typeof ThemeConfigSchema>;

/** Validates a theme object. */
export const parseTheme = validator(ThemeConfigSchema, ErrorCode.BAD_CONFIG, 'theme');

/** A config blob's JSON: a plain object. */
export type ConfigObject = { readonly [key: string]: unknown };

/**
 * Parses and checks a config blob: UTF-8, JSON, an object, within the size limit; for the `theme`
 * slot, also the theme schema; for the `contracts` slot, the declared contracts' schema.
 */
export function parseConfigBlob(slot: string, bytes: Uint8Array): Result<ConfigObject> {
  if (bytes.length > MAX_CONFIG_BYTES)
    return fail(ErrorCode.BAD_CONFIG, `config is over ${MAX_CONFIG_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch (cause) {
    return fail(
      ErrorCode.BAD_CONFIG,
      `config is not UTF-8 JSON: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(ErrorCode.BAD_CONFIG, 'config must be a JSON object');
  }
  if (slot === WellKnownSlot.theme) return parseTheme(value);
  if (slot === CONTRACTS_SLOT) {
    const contracts = parseContracts(value);
    if (!contracts.ok) return contracts;
  }
  return { ok: true, value: Object.fromEntries(Object.entries(value)) };
}

/** The bytes of a config slot's blob: the UTF-8 JSON of a config object. */
export function configBytes(config: object): Uint8Array {
  return utf8(JSON.stringify(config));
}
