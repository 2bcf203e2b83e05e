// @vitest-environment node
/** Timeline marks: each old name cleared once clears all its entries (500 players marking in one process). */
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

  it('forwards marks with their epoch time, and places a forwarded mark at the time it was made', () => {
    const seen: [string, number, number][] = [];
    forwardStages((stage, seq, at) => seen.push([stage, seq, at]));
    const before = performance.timeOrigin + performance.now();
    markStage(Stage.RECEIVED, 9);
    forwardStages(null);
    markStage(Stage.ACCEPTED, 9);
    expect(seen.map(([stage, seq]) => [stage, seq])).toEqual([[Stage.RECEIVED, 9]]);
    expect(seen[0]![2]).toBeGreaterThanOrEqual(before);
    // A mark from another realm, made 500 ms ago, lands 500 ms back on this timeline.
    // (The User Timing buffer outlives this file in a shared test worker: another file's seq 9 may
    // have left a mark of the same name, sorted before or after ours by its time: clear it first.)
    performance.clearMarks('patchcast:9:fetched');
    const at = performance.timeOrigin + performance.now() - 500;
    markStageAt(Stage.FETCHED, 9, at);
    const placed = performance.getEntriesByName('patchcast:9:fetched')[0];
    expect(placed && performance.timeOrigin + placed.startTime).toBeCloseTo(at, 0);
  });
});
