/**
 * Example logic scripts, written to the contract (`docs/player.md`). `BOUNCE` is also the built-in
 * logic a player runs before any release arrives: the seed's bouncing ball.
 */
/** The seed's ball: straight lines, bouncing off the walls. */
export declare const BOUNCE = "// Bounce: straight lines, reflect off the walls.\nexport function update(ball, world, dt) {\n  let { x, y, vx, vy, radius } = ball;\n  x += vx * dt;\n  y += vy * dt;\n  if (x < radius) { x = radius; vx = Math.abs(vx); }\n  if (x > world.width - radius) { x = world.width - radius; vx = -Math.abs(vx); }\n  if (y < radius) { y = radius; vy = Math.abs(vy); }\n  if (y > world.height - radius) { y = world.height - radius; vy = -Math.abs(vy); }\n  return { x, y, vx, vy, radius };\n}\n";
/** Gravity: the ball falls (y grows downward) and loses a little energy at each bounce. */
export declare const GRAVITY = "// Gravity: falls, bounces, loses 10% of its speed on the floor, kicked back up when it rests.\nconst G = 900;\nexport function update(ball, world, dt) {\n  let { x, y, vx, vy, radius } = ball;\n  vy += G * dt;\n  x += vx * dt;\n  y += vy * dt;\n  if (x < radius || x > world.width - radius) {\n    vx = -vx;\n    x = Math.min(Math.max(x, radius), world.width - radius);\n  }\n  if (y > world.height - radius) {\n    y = world.height - radius;\n    vy = Math.abs(vy) < 60 ? -700 : -Math.abs(vy) * 0.9;\n  }\n  return { x, y, vx, vy, radius };\n}\n";
/** A sine path: the ball sweeps across and waves up and down, whatever its velocity was. */
export declare const SINE_PATH = "// Sine path: position is a function of time; velocity is reported for whoever reads it.\nexport function update(ball, world, dt) {\n  const t = world.time;\n  const x = world.width / 2 + (world.width / 2 - ball.radius) * Math.sin(t * 0.7);\n  const y = world.height / 2 + (world.height / 3) * Math.sin(t * 2.1);\n  const vx = (x - ball.x) / Math.max(dt, 1e-3);\n  const vy = (y - ball.y) / Math.max(dt, 1e-3);\n  return { x, y, vx, vy, radius: ball.radius };\n}\n";
/** Identity of the built-in logic in status and acks. */
export declare const BUILTIN_LOGIC: {
    readonly id: "builtin";
    readonly version: "built-in";
};
