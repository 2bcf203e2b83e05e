// Release 1: every enemy walks straight at the hero, at three quarters of its tuned speed.
export function steer(enemies, hero) {
  return enemies.map((e) => {
    const dx = hero.x - e.x;
    const dy = hero.y - e.y;
    const d = Math.hypot(dx, dy) || 1;
    return { vx: (0.75 * dx) / d, vy: (0.75 * dy) / d };
  });
}
