import { describe, expect, it } from 'vitest';
import { inRollout, rolloutBucket } from './rollout.ts';

describe('rollout', () => {
  it('puts a player in a fixed bucket per blob', async () => {
    const a = await rolloutBucket('p-0123456789ab', 'logic', 'a'.repeat(64));
    expect(a).toBe(await rolloutBucket('p-0123456789ab', 'logic', 'a'.repeat(64)));
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(100);
  });
  it('takes about the given share of players', async () => {
    let taken = 0;
    for (let i = 0; i < 400; i++) if (await inRollout(`p-${i}`, 'logic', 'b'.repeat(64), 25)) taken++;
    expect(taken).toBeGreaterThan(60);
    expect(taken).toBeLessThan(140);
    expect(await inRollout('p-x', 'logic', 'b'.repeat(64), undefined)).toBe(true);
    expect(await inRollout('p-x', 'logic', 'b'.repeat(64), 0)).toBe(false);
  });
});

describe('rolloutBucket', () => {
  it('is the first two bytes of SHA-256(clientId \\n slot \\n blob), modulo 100', async () => {
    const { createHash } = await import('node:crypto');
    const id = 'p-0123456789ab';
    const blob = 'c'.repeat(64);
    const digest = createHash('sha256').update(`${id}\nlogic\n${blob}`).digest();
    expect(await rolloutBucket(id, 'logic', blob)).toBe(digest.readUInt16BE(0) % 100);
  });
});
