/**
 * Which small blobs the relay pushes to a player (`willFetch`): the players' own staged-rollout rule
 * (`protocol/rollout.ts`, hashed here synchronously) — the same decision for every id, slot and
 * percent — and nothing the player holds or had before.
 */
import { describe, expect, it } from 'vitest';
import { inRollout } from '../../protocol/rollout.ts';
import * as v from 'valibot';
import { SlotSchema } from '../../protocol/release.ts';
import { willFetch, type SmallBlob } from './blob-push.ts';

const SHA = 'ab'.repeat(32);

function small(percent: number | undefined, earlierSeq: number | null = null): SmallBlob {
  const desc = v.parse(SlotSchema, {
    kind: 'script',
    lang: 'js',
    version: '1',
    sha256: SHA,
    size: 100,
    chunkSize: 65536,
    chunks: ['cd'.repeat(32)],
    ...(percent === undefined ? {} : { rollout: { percent } }),
  });
  return { slot: 'logic', desc, blob: new Uint8Array(100), earlierSeq };
}

describe('willFetch', () => {
  it('decides the rollout as the players do, for every id and percent', async () => {
    let inside = 0;
    for (const percent of [0, 1, 10, 50, 99, 100]) {
      for (let i = 0; i < 200; i++) {
        const id = `p-${i.toString(16).padStart(12, '0')}`;
        const player = await inRollout(id, 'logic', SHA, percent);
        expect(willFetch(small(percent), undefined, 0, id)).toBe(player);
        if (percent === 50 && player) inside++;
      }
    }
    // Both sides of the bucket were exercised.
    expect(inside).toBeGreaterThan(50);
    expect(inside).toBeLessThan(150);
  });

  it('skips content the player holds, and a rollback to content it had at or before its seq', () => {
    expect(willFetch(small(undefined), undefined, 0, 'p-1')).toBe(true);
    expect(willFetch(small(undefined), SHA, 0, 'p-1')).toBe(false);
    expect(willFetch(small(undefined), 'ef'.repeat(32), 3, 'p-1')).toBe(true);
    // Release 2 gave the slot this content before: a player at seq 2 or later has it in its cache.
    expect(willFetch(small(undefined, 2), 'ef'.repeat(32), 2, 'p-1')).toBe(false);
    expect(willFetch(small(undefined, 2), undefined, 1, 'p-1')).toBe(true);
  });
});
