// Release 2: the hero flees the nearest enemy, pulled back towards the middle near the walls.
export function move(hero, enemies, world) {
  let nearest = null;
  let best = Infinity;
  for (const e of enemies) {
    const d = Math.hypot(e.x - hero.x, e.y - hero.y);
    if (d < best) [best, nearest] = [d, e];
  }
  let vx = (world.width / 2 - hero.x) / world.width;
  let vy = (world.height / 2 - hero.y) / world.height;
  if (nearest) {
    vx += (hero.x - nearest.x) / (best || 1);
    vy += (hero.y - nearest.y) / (best || 1);
  }
  const d = Math.hypot(vx, vy) || 1;
  return { vx: vx / d, vy: vy / d };
}
