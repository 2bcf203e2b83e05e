// @vitest-environment node
/** The demo game's dynamic resolution: down while frames are slow, up again while they are quick. */
import { describe, expect, it } from 'vitest';
import { RENDER_SCALE_MIN, RENDER_SCALE_SETTLE_MS, RenderScale } from './render-scale.ts';

/** Feeds `count` frames of `interval` ms from `start`; returns the time after them and the changes. */
function run(scale: RenderScale, start: number, interval: number, count: number): [number, number[]] {
  const changes: number[] = [];
  let now = start;
  for (let i = 0; i < count; i++) {
    now += interval;
    const changed = scale.frame(interval, now);
    if (changed !== null) changes.push(changed);
  }
  return [now, changes];
}

describe('RenderScale', () => {
  it('stays at full resolution while frames are quick or in between', () => {
    const scale = new RenderScale();
    expect(run(scale, 0, 16, 600)[1]).toEqual([]);
    expect(run(scale, 10_000, 25, 400)[1]).toEqual([]);
    expect(scale.value).toBe(1);
  });

  it('lowers the scale step by step while frames are slow, at most once a settle time, never below the floor', () => {
    const scale = new RenderScale();
    const [, changes] = run(scale, 0, 100, 200); // 20 s of 10 fps
    expect(changes[0]).toBeCloseTo(0.8);
    expect(changes.length).toBeLessThanOrEqual(20_000 / RENDER_SCALE_SETTLE_MS);
    for (let i = 1; i < changes.length; i++) expect(changes[i]!).toBeLessThan(changes[i - 1]!);
    expect(scale.value).toBe(RENDER_SCALE_MIN);
  });

  it('raises it again once frames are quick, back to full', () => {
    const scale = new RenderScale();
    const [after] = run(scale, 0, 100, 100);
    expect(scale.value).toBeLessThan(1);
    run(scale, after, 16, 1000);
    expect(scale.value).toBe(1);
  });

  it('ignores intervals that are not frames (the first frame, a clock that stood still)', () => {
    const scale = new RenderScale();
    expect(scale.frame(0, 5_000)).toBeNull();
    expect(scale.frame(Number.NaN, 6_000)).toBeNull();
    expect(scale.value).toBe(1);
  });
});
