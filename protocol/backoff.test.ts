import { describe, expect, it } from 'vitest';
import { backoffDelay, restartDelay, restartSpread } from './backoff.ts';
import {
  MAX_RESTART_SPREAD_MS,
  MIN_RESTART_POLL_MS,
  MIN_RESTART_SPREAD_MS,
  RESTART_POLL_MS,
  RESTART_SPREAD_MS,
  RESTART_SPREAD_PER_CLIENT_MS,
  RESTART_WINDOW_MS,
} from './limits.ts';

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

describe('restartSpread', () => {
  it('grows with the clients the relay had, within its bounds', () => {
    expect(restartSpread(0)).toBe(MIN_RESTART_SPREAD_MS);
    expect(restartSpread(1_000)).toBe(1_000 * RESTART_SPREAD_PER_CLIENT_MS);
    expect(restartSpread(10_000)).toBe(10_000 * RESTART_SPREAD_PER_CLIENT_MS);
    expect(restartSpread(10_000_000)).toBe(MAX_RESTART_SPREAD_MS);
  });
});

describe('restartDelay', () => {
  it('dials first at the hint plus a share of the spread, then about every spread', () => {
    const low = () => 0;
    const high = () => 1;
    expect(restartDelay(1_000, 0, 0, low, 2_000)).toBe(1_000);
    expect(restartDelay(1_000, 0, 0, high, 2_000)).toBe(3_000);
    expect(restartDelay(1_000, 0, 400, high, 2_000)).toBe(2_600);
    expect(restartDelay(1_000, 3, 5_000, low, 2_000)).toBe(1_000);
    expect(restartDelay(1_000, 3, 5_000, high, 2_000)).toBe(3_000);
  });

  it('never dials a relay that is not back sooner than MIN_RESTART_POLL_MS, not even on the low draw', () => {
    expect(restartDelay(1_000, 0, 0, () => 1, 100)).toBe(1_100);
    // A short spread: the window starts at the floor and stays a spread wide.
    expect(restartDelay(1_000, 1, 2_000, () => 0, 100)).toBe(MIN_RESTART_POLL_MS);
    expect(restartDelay(1_000, 1, 2_000, () => 1, 100)).toBe(MIN_RESTART_POLL_MS + 100);
    // Every spread the relay may name, every draw: never under the floor.
    for (const spread of [0, 1, 100, 250, 499, 500, 2_000, MAX_RESTART_SPREAD_MS]) {
      for (const draw of [0, 1e-9, 0.25, 0.5, 0.999]) {
        const wait = restartDelay(1_000, 1, 2_000, () => draw, spread);
        expect(wait).toBeGreaterThanOrEqual(MIN_RESTART_POLL_MS);
      }
    }
    expect(restartDelay(1_000, 1, 2_000, () => 0)).toBeGreaterThanOrEqual(MIN_RESTART_POLL_MS);
  });

  it('keeps the old pace when the relay names no spread, and gives up after the window', () => {
    expect(restartDelay(1_000, 0, 0, () => 1)).toBe(1_000 + RESTART_SPREAD_MS);
    expect(restartDelay(1_000, 2, 2_000, () => 1)).toBe((3 * RESTART_POLL_MS) / 2);
    expect(restartDelay(1_000, 2, RESTART_WINDOW_MS + 1, () => 1, 500)).toBeNull();
  });
});
