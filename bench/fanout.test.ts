/**
 * Keeps the fan-out benchmark from rotting: a tiny run (10 clients of each kind, every variant, a
 * script payload) must deliver to everyone; so must a warm relay's runs (one relay across runs, a
 * new release each run, new readers each run), printed as their own rows.
 */
import { describe, expect, it, vi } from 'vitest';
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

  it('runs warm relay rows beside the cold ones, every client getting every byte', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    try {
      const code = await main([
        '--n',
        '10',
        '--payload',
        '1mb',
        '--proto',
        'ours',
        '--variant',
        'plain',
        '--relay',
        'cold,warm',
        '--pool',
        '1',
        '--rounds',
        '2',
        '--timeout',
        '10000',
      ]);
      expect(code).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const text = out.join('');
    // Warm-up and two rounds: three warm runs through one relay (three releases), beside cold ones.
    expect(text.match(/\| ours, warm relay \| 10 \| 1mb \|/g)).toHaveLength(3);
    expect(text.match(/\| ours \| 10 \| 1mb \|/g)).toHaveLength(3);
  }, 90_000);
});
