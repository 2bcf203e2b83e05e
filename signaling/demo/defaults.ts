/**
 * The content of the demo room a fresh data dir starts with: a bouncing-ball logic script (the
 * player's contract), a theme, and a background texture drawn like the seed's (dark fill, grid lines
 * every 50 px). Its seed-protocol slot carries the seed's own Python script (`hub/seed-defaults.ts`).
 */
import sharp from 'sharp';
import type { ThemeConfig } from '../../protocol/index.ts';

/** The default logic: the seed's ball, as an ES module exporting `update(ball, world, dt)`. */
export const DEFAULT_LOGIC_JS = `// Logic script: called every frame inside the player's sandbox.
//   ball  = { x, y, vx, vy, radius }   (world units; velocity in units per second)
//   world = { width: 800, height: 600, time }
//   dt    = seconds since the last frame
// Return the new ball.
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

/** The demo theme (the seed's colours). */
export const DEFAULT_THEME: ThemeConfig = { background: '#1e2832', ball: '#ff6464', ballRadius: 15 };

/**
 * Draws the demo background: the seed's dark fill with a soft vertical gradient and grid lines every
 * 50 px that brighten left to right and top to bottom, as a PNG.
 */
export async function makeBackgroundPng(width = 800, height = 600): Promise<Uint8Array> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const shade = y / height;
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3;
      let r = 30 + 10 * shade;
      let g = 40 + 14 * shade;
      let b = 50 + 24 * shade;
      const onV = x % 50 === 0;
      const onH = y % 50 === 0;
      if (onV || onH) {
        const a = Math.max(onV ? x / width : 0, onH ? y / height : 0) * 0.8 + 0.2;
        r = r * (1 - a) + 100 * a;
        g = g * (1 - a) + 150 * a;
        b = b * (1 - a) + 200 * a;
      }
      pixels[at] = Math.round(r);
      pixels[at + 1] = Math.round(g);
      pixels[at + 2] = Math.round(b);
    }
  }
  const png = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return new Uint8Array(png);
}
