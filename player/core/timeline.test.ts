// @vitest-environment node
/**
 * Timeline marks: each old name cleared once clears all its entries (500 players marking in one
 * process); marks forwarded from another realm land at the time they were made.
 */
import { describe, expect, it } from 'vitest';
import { forwardStages, markStage, markStageAt, Stage } from './timeline.ts';

const names = () => performance.getEntriesByType('mark').map((m) => m.name);

describe('markStage', () => {
  it('keeps only the newest accepted release marks (and the page own), however many players marked', () => {
    performance.mark('page:own');
    for (let player = 0; player < 500; player++) {
      markStage(Stage.RECEIVED, 7);
      markStage(Stage.ACCEPTED, 7);
    }
    markStage(Stage.ACCEPTED, 8);
    const left = names();
    expect(left).toContain('page:own');
    expect(left.filter((n) => n.startsWith('patchcast:7:'))).toEqual([]);
    expect(left.filter((n) => n.startsWith('patchcast:8:'))).toEqual(['patchcast:8:accepted']);
  });

  it('forwards marks with their epoch time', () => {
    const seen: [string, number, number][] = [];
    forwardStages((stage, seq, at) => seen.push([stage, seq, at]));
    const before = performance.timeOrigin + performance.now();
    markStage(Stage.RECEIVED, 9);
    forwardStages(null);
    markStage(Stage.ACCEPTED, 9);
    expect(seen.map(([stage, seq]) => [stage, seq])).toEqual([[Stage.RECEIVED, 9]]);
    expect(seen[0]![2]).toBeGreaterThanOrEqual(before);
  });

  it('places a mark made in another realm at the time it was made on this timeline', () => {
    // Halfway between this realm's time origin and now: a time this timeline has. (Not a fixed 500 ms
    // back: vitest runs each test file in a fresh process, whose timeline starts with it, and in a
    // full run this test may come ~240 ms after that — a time before the origin is clamped to it,
    // below, which put the old check ~261 ms off.)
    const now = performance.now();
    expect(now).toBeGreaterThan(10); // (else "halfway" would be too close to now to tell apart)
    const at = performance.timeOrigin + now / 2;
    markStageAt(Stage.FETCHED, 9, at);
    const placed = performance.getEntriesByName('patchcast:9:fetched');
    expect(placed).toHaveLength(1);
    expect(placed[0]!.startTime).toBeCloseTo(now / 2, 0);
    expect(performance.timeOrigin + placed[0]!.startTime).toBeCloseTo(at, 0);
  });

  it('places a mark from before this timeline began at its start (never throws)', () => {
    markStageAt(Stage.HANDLED, 9, performance.timeOrigin - 500);
    expect(performance.getEntriesByName('patchcast:9:handled').map((m) => m.startTime)).toEqual([0]);
  });
});
