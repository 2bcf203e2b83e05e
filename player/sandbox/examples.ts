/**
 * Example logic scripts, written to the contract (`docs/player.md`). `BOUNCE` is also the built-in
 * logic a player runs before any release arrives: the seed's bouncing ball.
 */

/** The seed's ball: straight lines, bouncing off the walls. */
export const BOUNCE = `// Bounce: straight lines, reflect off the walls.
export function update(ball, world, dt) {
  let { x, y, vx, vy, radius } = ball;
  x += vx * dt;
  y += vy * dt;
  if (x < radius) { x = radius; vx = Math.abs(vx); }
  if (x > world.width - radius) { x = world.width - radius; vx = -Math.abs(vx); }
  if (y < radius) { y = radius; vy = Math.abs(vy); }
  if (y > world.height - radius) { y = world.height - radius; vy = -Math.abs(vy); }
  return { x, y, vx, vy, radius };
}
`;

/** Gravity: the ball falls (y grows downward) and loses a little energy at each bounce. */
export const GRAVITY = `// Gravity: falls, bounces, loses 10% of its speed on the floor, kicked back up when it rests.
const G = 900;
export function update(ball, world, dt) {
  let { x, y, vx, vy, radius } = ball;
  vy += G * dt;
  x += vx * dt;
  y += vy * dt;
  if (x < radius || x > world.width - radius) {
    vx = -vx;
    x = Math.min(Math.max(x, radius), world.width - radius);
  }
  if (y > world.height - radius) {
    y = world.height - radius;
    vy = Math.abs(vy) < 60 ? -700 : -Math.abs(vy) * 0.9;
  }
  return { x, y, vx, vy, radius };
}
`;

/** A sine path: the ball sweeps across and waves up and down, whatever its velocity was. */
export const SINE_PATH = `// Sine path: position is a function of time; velocity is reported for whoever reads it.
export function update(ball, world, dt) {
  const t = world.time;
  const x = world.width / 2 + (world.width / 2 - ball.radius) * Math.sin(t * 0.7);
  const y = world.height / 2 + (world.height / 3) * Math.sin(t * 2.1);
  const vx = (x - ball.x) / Math.max(dt, 1e-3);
  const vy = (y - ball.y) / Math.max(dt, 1e-3);
  return { x, y, vx, vy, radius: ball.radius };
}
`;

/** Identity of the built-in logic in status and acks. */
export const BUILTIN_LOGIC = { id: 'builtin', version: 'built-in' } as const;
