// Release 2: the enemies hunt as a pack — each aims at its own point on a ring around where the
// hero will be, then closes in once it is near.
export function steer(enemies, hero, world) {
  return enemies.map((e, i) => {
    const angle = (i / Math.max(1, enemies.length)) * Math.PI * 2 + world.time * 0.5;
    const near = Math.hypot(hero.x - e.x, hero.y - e.y) < 90;
    const tx = near ? hero.x : hero.x + Math.cos(angle) * 70;
    const ty = near ? hero.y : hero.y + Math.sin(angle) * 70;
    const dx = tx - e.x;
    const dy = ty - e.y;
    const d = Math.hypot(dx, dy) || 1;
    return { vx: dx / d, vy: dy / d };
  });
}
