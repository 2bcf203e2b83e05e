import { describe, expect, it } from 'vitest';
import { MAX_CHUNK_INDEX, PeerState, type PeerLink } from './peer.ts';

const link: PeerLink = {
  id: 'p',
  send: () => {},
  bufferedAmount: () => 0,
  close: () => {},
  attach: () => {},
};
const sha = (i: number) => i.toString(16).padStart(64, '0');

describe('PeerState', () => {
  it('remembers a bounded number of blobs and no index past the largest possible', () => {
    const peer = new PeerState(link, 1 << 20);
    for (let i = 0; i < 10_000; i++) {
      peer.learn(sha(i), [0, 1, MAX_CHUNK_INDEX + 5]);
      peer.learnAll(sha(i + 20_000));
      peer.unlearn(sha(i), 2, 1e12);
    }
    expect(peer.has.size).toBeLessThanOrEqual(16);
    expect(peer.holds(sha(9_999), 0, 0)).toBe(true);
    expect(peer.holds(sha(9_999), MAX_CHUNK_INDEX + 5, 0)).toBe(false);
    expect(peer.holds(sha(0), 0, 0)).toBe(false); // forgotten, oldest first
    expect(peer.holds(sha(29_999), 123, 0)).toBe(true);
    expect(peer.holds(sha(20_000), 123, 0)).toBe(false);
  });

  it('does not offer a chunk it refused until the refusal lapses or it announces it again', () => {
    const peer = new PeerState(link, 1 << 20);
    peer.learn(sha(1), [3]);
    peer.unlearn(sha(1), 3, 1000);
    expect(peer.holds(sha(1), 3, 500)).toBe(false);
    expect(peer.holds(sha(1), 3, 1000)).toBe(true);
    peer.unlearn(sha(1), 3, 5000);
    peer.learn(sha(1), [3]);
    expect(peer.holds(sha(1), 3, 600)).toBe(true);
  });
});
