/**
 * Keeps the fan-out benchmark from rotting: a tiny run (10 clients of each kind, every variant, a
 * script payload) must deliver to everyone.
 */
import { describe, expect, it } from 'vitest';
import { main } from './fanout.ts';

describe('fanout benchmark', () => {
  it('runs a tiny matrix and delivers to every client', async () => {
    const code = await main([
      '--n',
      '10',
      '--payload',
      'script',
      '--pool',
      '1',
      '--rounds',
      '2',
      '--timeout',
      '10000',
    ]);
    expect(code).toBe(0);
  }, 60_000);
});
