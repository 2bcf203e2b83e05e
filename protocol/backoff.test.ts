import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  it('grows, is capped, and keeps at least half of each step', () => {
    const low = (a: number) => backoffDelay(a, { initialMs: 100, maxMs: 1000 }, () => 0);
    const high = (a: number) => backoffDelay(a, { initialMs: 100, maxMs: 1000 }, () => 1);
    expect([0, 1, 2, 3, 4, 10].map(low)).toEqual([50, 100, 200, 400, 500, 500]);
    expect([0, 1, 2, 3, 4, 10].map(high)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe('backoffDelay defaults', () => {
  it('doubles from 0.5 s to 15 s, never under half the step (the player and the admin alike)', () => {
    expect(backoffDelay(0, {}, () => 0)).toBe(250);
    expect(backoffDelay(0, {}, () => 1)).toBe(500);
    expect(backoffDelay(20, {}, () => 1)).toBe(15_000);
    expect(backoffDelay(20, {}, () => 0)).toBe(7_500);
  });
});
