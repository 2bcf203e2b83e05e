// Release 1: the hero runs a wide circle around the middle of the arena.
export function move(hero, enemies, world) {
  const cx = world.width / 2 + Math.cos(world.time * 0.8) * 180;
  const cy = world.height / 2 + Math.sin(world.time * 0.8) * 140;
  const dx = cx - hero.x;
  const dy = cy - hero.y;
  const d = Math.hypot(dx, dy) || 1;
  return { vx: dx / d, vy: dy / d };
}
