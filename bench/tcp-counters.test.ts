/**
 * The fan-out table's kernel counters are read from /proc/net/netstat by column name: on Linux all
 * three are there and only move forward.
 */
import { describe, expect, it } from 'vitest';
import { tcpCounters, tcpCountersSince } from './tcp-counters.ts';

describe.runIf(process.platform === 'linux')('tcpCounters', () => {
  it('reads memory pressures, zero-window advertisements and loss probes, and counts since a reading', () => {
    const before = tcpCounters();
    expect(before).not.toBeNull();
    for (const value of Object.values(before!)) expect(Number.isInteger(value) && value >= 0).toBe(true);
    const since = tcpCountersSince(before);
    expect(Object.keys(since!).sort()).toEqual(['lossProbes', 'pressures', 'zeroWindows']);
    for (const value of Object.values(since!)) expect(value).toBeGreaterThanOrEqual(0);
    expect(tcpCountersSince(null)).toBeNull();
  });
});
