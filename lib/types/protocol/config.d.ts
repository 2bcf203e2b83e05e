/**
 * Config slots: small UTF-8 JSON objects. The `theme` slot has a fixed schema (colours and the ball's
 * size) that the relay checks before storing and the player checks before applying.
 */
import * as v from 'valibot';
import { type Result } from './errors.js';
/** An sRGB colour as `#rrggbb`. */
export declare const HexColor: v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "colour must be #rrggbb">]>;
/**
 * The well-known slot names of the demo game. `seed` holds the Python `update_ball_position` source
 * that the relay hands to seed-protocol clients; the player never runs it.
 */
export declare const WellKnownSlot: {
    readonly logic: "logic";
    readonly background: "background";
    readonly theme: "theme";
    readonly seedScript: "seed";
};
/** The `theme` config: background and ball colours, ball radius in world units. */
export declare const ThemeConfigSchema: v.StrictObjectSchema<{
    readonly background: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "colour must be #rrggbb">]>, undefined>;
    readonly ball: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.StringSchema<undefined>, v.RegexAction<string, "colour must be #rrggbb">]>, undefined>;
    readonly ballRadius: v.ExactOptionalSchema<v.SchemaWithPipe<readonly [v.NumberSchema<undefined>, v.FiniteAction<number, undefined>, v.MinValueAction<number, 2, undefined>, v.MaxValueAction<number, 150, undefined>]>, undefined>;
}, undefined>;
/** A parsed theme. */
export type ThemeConfig = v.InferOutput<typeof ThemeConfigSchema>;
/** Validates a theme object. */
export declare const parseTheme: import("./validate.js").Validator<{
    background?: string;
    ball?: string;
    ballRadius?: number;
}, "BAD_CONFIG">;
/** A config blob's JSON: a plain object. */
export type ConfigObject = {
    readonly [key: string]: unknown;
};
/**
 * Parses and checks a config blob: UTF-8, JSON, an object, within the size limit; for the `theme`
 * slot, also the theme schema; for the `contracts` slot, the declared contracts' schema.
 */
export declare function parseConfigBlob(slot: string, bytes: Uint8Array): Result<ConfigObject>;
/** The bytes of a config slot's blob: the UTF-8 JSON of a config object. */
export declare function configBytes(config: object): Uint8Array;
