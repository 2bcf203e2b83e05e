/**
 * The arena's own script contracts: what its two script slots must export, how each function is
 * called, and how the page checks what comes back. These are code of the game, compiled into the
 * page: a release cannot change them. (`patches/N/contracts.config.json` tells the tools the same
 * entries and sample calls, so `patchcast publish` can dry-run a script before it ships.)
 */
import { defineContract } from 'patchcast/player';

/** The arena, in pixels. */
export const WORLD = { width: 640, height: 480 } as const;

/** A position on the floor. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A direction of travel; its length (at most 1.5) scales the tuned speed. */
export interface Velocity {
  readonly vx: number;
  readonly vy: number;
}

/** What the scripts see of the world: its size and the seconds since the game started. */
export interface World {
  readonly width: number;
  readonly height: number;
  readonly time: number;
}

const MAX_LENGTH = 1.5;

function velocity(value: unknown, what: string): Velocity {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} is not a { vx, vy } object`);
  }
  const vx: unknown = Reflect.get(value, 'vx');
  const vy: unknown = Reflect.get(value, 'vy');
  if (typeof vx !== 'number' || !Number.isFinite(vx) || typeof vy !== 'number' || !Number.isFinite(vy)) {
    throw new Error(`${what}.vx and .vy must be finite numbers`);
  }
  if (Math.hypot(vx, vy) > MAX_LENGTH) throw new Error(`${what} is longer than ${MAX_LENGTH}`);
  return { vx, vy };
}

const sampleWorld: World = { ...WORLD, time: 0 };
const corners: Point[] = [
  { x: 20, y: 20 },
  { x: 620, y: 460 },
];

/** `enemy-ai`: `steer(enemies, hero, world)` returns one velocity per enemy, in order. */
export const STEER = defineContract<Velocity[]>({
  entry: 'steer',
  signature: 'steer(enemies, hero, world)',
  samples: [
    [corners, { x: 320, y: 240 }, sampleWorld],
    [[], { x: 0, y: 0 }, sampleWorld],
  ],
  validate(value, args) {
    const enemies = args[0];
    if (!Array.isArray(value)) throw new Error('not an array of velocities');
    if (Array.isArray(enemies) && value.length !== enemies.length) {
      throw new Error(`${value.length} velocities for ${enemies.length} enemies`);
    }
    return value.map((v, i) => velocity(v, `velocity[${i}]`));
  },
});

/** `hero-ai`: `move(hero, enemies, world)` returns the hero's velocity (the hero plays itself). */
export const MOVE = defineContract<Velocity>({
  entry: 'move',
  signature: 'move(hero, enemies, world)',
  samples: [[{ x: 320, y: 240 }, corners, sampleWorld]],
  validate: (value) => velocity(value, 'velocity'),
});

/** The scripts that run before any patch arrives (and when every patched one has failed). */
export const BUILTIN = {
  'enemy-ai': `export function steer(enemies, hero) {
  return enemies.map((e) => {
    const dx = hero.x - e.x, dy = hero.y - e.y, d = Math.hypot(dx, dy) || 1;
    return { vx: dx / d, vy: dy / d };
  });
}`,
  'hero-ai': `export function move(hero, enemies, world) {
  return { vx: Math.cos(world.time), vy: Math.sin(world.time * 0.7) };
}`,
} as const;
