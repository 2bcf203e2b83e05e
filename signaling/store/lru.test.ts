import { describe, expect, it } from 'vitest';
import { ByteLru } from './lru.ts';

describe('ByteLru.obtain', () => {
  it('makes a value once, keeps it within the byte budget, and still returns one too big to keep', () => {
    const lru = new ByteLru<string, Uint8Array>(10, (b) => b.length);
    let made = 0;
    const make = (size: number) => () => {
      made++;
      return new Uint8Array(size);
    };
    const a = lru.obtain('a', make(4));
    expect(lru.obtain('a', make(4))).toBe(a);
    expect(made).toBe(1);
    expect(lru.obtain('big', make(20))).toHaveLength(20);
    expect(lru.peek('big')).toBeUndefined();
    lru.obtain('b', make(4));
    lru.obtain('c', make(4)); // over 10 bytes: the least recently used ('a') goes
    expect(lru.peek('a')).toBeUndefined();
    expect(lru.bytes).toBe(8);
  });
});
