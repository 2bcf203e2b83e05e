/**
 * The script the editor starts with when a room has no logic yet: the seed's bouncing ball, written
 * to the script contract (an ES module exporting `update(ball, world, dt)`).
 */
export const STARTER_SCRIPT = `// Logic script: called every frame in the player's sandbox.
//   ball  = { x, y, vx, vy, radius }      (world units, velocity per second)
//   world = { width: 800, height: 600, time }
//   dt    = seconds since the last frame
// Return the new ball. No network, no storage, a few ms per call.
export function update(ball, world, dt) {
  let { x, y, vx, vy, radius } = ball;
  x += vx * dt;
  y += vy * dt;
  if (x < radius || x > world.width - radius) vx = -vx;
  if (y < radius || y > world.height - radius) vy = -vy;
  x = Math.min(Math.max(x, radius), world.width - radius);
  y = Math.min(Math.max(y, radius), world.height - radius);
  return { x, y, vx, vy, radius };
}
`;
