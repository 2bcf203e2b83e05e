/** The `tuning` config slot: checked on the page before anything of it is used. */

/** How the arena plays and looks. */
export interface Tuning {
  readonly enemies: number;
  readonly enemySpeed: number;
  readonly heroSpeed: number;
  readonly enemyColor: string;
  readonly heroColor: string;
  readonly floorColor: string;
}

/** Before any tuning arrives, and after the slot is removed. */
export const DEFAULT_TUNING: Tuning = {
  enemies: 4,
  enemySpeed: 60,
  heroSpeed: 90,
  enemyColor: '#e04848',
  heroColor: '#f0f0f0',
  floorColor: '#303030',
};

const COLOUR = /^#[0-9a-f]{6}$/i;

function field<T>(value: object, key: keyof Tuning, ok: (v: unknown) => v is T, why: string): T | undefined {
  if (!Object.hasOwn(value, key)) return undefined;
  const v: unknown = Reflect.get(value, key);
  if (!ok(v)) throw new Error(`tuning.${key} ${why}`);
  return v;
}

const count = (v: unknown): v is number => Number.isInteger(v) && Number(v) >= 0 && Number(v) <= 40;
const speed = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 600;
const colour = (v: unknown): v is string => typeof v === 'string' && COLOUR.test(v);

/** The tuning a config object gives (missing fields take the defaults); throws on a bad field. */
export function parseTuning(value: object): Tuning {
  return {
    enemies: field(value, 'enemies', count, 'must be a whole number, 0–40') ?? DEFAULT_TUNING.enemies,
    enemySpeed: field(value, 'enemySpeed', speed, 'must be 0–600') ?? DEFAULT_TUNING.enemySpeed,
    heroSpeed: field(value, 'heroSpeed', speed, 'must be 0–600') ?? DEFAULT_TUNING.heroSpeed,
    enemyColor: field(value, 'enemyColor', colour, 'must be #rrggbb') ?? DEFAULT_TUNING.enemyColor,
    heroColor: field(value, 'heroColor', colour, 'must be #rrggbb') ?? DEFAULT_TUNING.heroColor,
    floorColor: field(value, 'floorColor', colour, 'must be #rrggbb') ?? DEFAULT_TUNING.floorColor,
  };
}
