import { describe, expect, it } from 'vitest';
import { DeferralPolicy, type DeferralClock } from './deferral.ts';

function fakeClock(): DeferralClock & { t: number } {
  return {
    t: 0,
    now() {
      return this.t;
    },
  };
}

const sha = 'c'.repeat(64);

describe('swarm deferral policy', () => {
  it('serves the first copy of a chunk and defers the next to the swarm', () => {
    const clock = fakeClock();
    const policy = new DeferralPolicy({ clock, holdMs: 1000 });
    expect(policy.decide(sha, 4, 0, true)).toEqual({ serve: true });
    expect(policy.decide(sha, 4, 0, true)).toEqual({ serve: false, retryAfterMs: 1000 });
    expect(policy.decide(sha, 4, 1, true)).toEqual({ serve: true }); // another chunk: nobody has it yet
    clock.t = 400;
    expect(policy.decide(sha, 4, 0, true)).toEqual({ serve: false, retryAfterMs: 600 });
  });

  it("counts its answers by why (the benchmark's detail table reads them)", () => {
    const clock = fakeClock();
    const policy = new DeferralPolicy({ clock, holdMs: 1000 });
    policy.decide(sha, 4, 0, true, true); // room
    policy.decide(sha, 4, 1, true); // first copy
    policy.decide(sha, 4, 1, true); // deferred
    clock.t = 1000;
    policy.decide(sha, 4, 1, true); // trickle
    expect(policy.counts).toEqual({ alone: 0, starved: 0, room: 1, first: 1, trickle: 1, deferred: 1 });
  });

  it('always serves a client without peers, without delaying the swarm trickle', () => {
    const clock = fakeClock();
    const policy = new DeferralPolicy({ clock, holdMs: 1000 });
    policy.decide(sha, 4, 0, true);
    for (let i = 0; i < 5; i++) expect(policy.decide(sha, 4, 0, false)).toEqual({ serve: true });
    expect(policy.servedCount(sha, 0)).toBe(6);
    expect(policy.decide(sha, 4, 0, true).serve).toBe(false);
  });

  it('trickles further copies at doubling intervals', () => {
    const clock = fakeClock();
    const policy = new DeferralPolicy({ clock, holdMs: 1000 });
    const served: number[] = [];
    for (clock.t = 0; clock.t <= 16_000; clock.t += 100) {
      if (policy.decide(sha, 1, 0, true).serve) served.push(clock.t);
    }
    // First copy at 0, then after 1 s, 2 s more, 4 s more, 8 s more.
    expect(served).toEqual([0, 1000, 3000, 7000, 15000]);
  });

  it('by default lets out one trickle copy of a chunk in a 9 s transfer: first gap 3 s, then 6 s more', () => {
    // The 100 Mbit/s benchmark's swarm takes ~7–11 s; with the first gap at 1.5 s the trickle alone
    // was 2–2.9× the patch (copies at 1.5, 4.5 and 10.5 s), and the relay's egress over 3×.
    const clock = fakeClock();
    const policy = new DeferralPolicy({ clock });
    const served: number[] = [];
    for (clock.t = 0; clock.t <= 12_000; clock.t += 100) {
      if (policy.decide(sha, 1, 0, true).serve) served.push(clock.t);
    }
    expect(served).toEqual([0, 3000, 9000]);
  });

  it('caps the gap, and starts afresh for a chunk nobody asked for in a long while', () => {
    const clock = fakeClock();
    const policy = new DeferralPolicy({ clock, holdMs: 1000, maxGapMs: 4000, idleResetMs: 20_000 });
    const served: number[] = [];
    for (clock.t = 0; clock.t <= 20_000; clock.t += 100) {
      const d = policy.decide(sha, 1, 0, true);
      if (d.serve) served.push(clock.t);
      else expect(d.retryAfterMs).toBeLessThanOrEqual(4000);
    }
    expect(served).toEqual([0, 1000, 3000, 7000, 11000, 15000, 19000]);
    // An hour later, a newcomer with peers (who may lack it too) is served at once.
    clock.t = 3_600_000;
    expect(policy.decide(sha, 1, 0, true)).toEqual({ serve: true });
    expect(policy.decide(sha, 1, 0, true).serve).toBe(false);
  });

  it('serves everything at once while the relay has room, and then starts the trickle afresh', () => {
    const clock = fakeClock();
    const policy = new DeferralPolicy({ clock, holdMs: 1000 });
    for (let i = 0; i < 10; i++) expect(policy.decide(sha, 1, 0, true, true)).toEqual({ serve: true });
    expect(policy.servedCount(sha, 0)).toBe(10);
    // Out of room: a copy is out, so the next asker with peers waits one hold, not 2^9 of them.
    expect(policy.decide(sha, 1, 0, true, false)).toEqual({ serve: false, retryAfterMs: 1000 });
    clock.t = 1000;
    expect(policy.decide(sha, 1, 0, true, false)).toEqual({ serve: true });
  });
});

describe('swarm deferral policy in a cluster', () => {
  it("counts another node's copies as its own", () => {
    const clock = fakeClock();
    const policy = new DeferralPolicy({ clock, holdMs: 1000 });
    policy.copiedElsewhere(sha, 4, 2, false, true);
    expect(policy.decide(sha, 4, 2, true)).toEqual({ serve: false, retryAfterMs: 1000 });
    expect(policy.decide(sha, 4, 2, false)).toEqual({ serve: true }); // no peers: served
    expect(policy.decide(sha, 4, 3, true)).toEqual({ serve: true }); // nobody has chunk 3
  });

  it('lets a pending first copy yield to one that goes before it, and only then', () => {
    const clock = fakeClock();
    const policy = new DeferralPolicy({ clock, holdMs: 1000 });
    const told: number[] = [];
    policy.onSwarmCopy = (_sha, _count, index) => told.push(index);
    clock.t = 100;
    const first = policy.decide(sha, 4, 0, true);
    const second = policy.decide(sha, 4, 1, true);
    expect(told).toEqual([0, 1]);
    expect(first).toEqual({ serve: true, firstCopyAt: 100 });
    // Another node's copy of chunk 0 goes before ours; its copy of chunk 1 does not.
    policy.copiedElsewhere(sha, 4, 0, false, true);
    policy.copiedElsewhere(sha, 4, 1, false, false);
    expect(first.serve && policy.yields(sha, 0, first.firstCopyAt!)).toBe(true);
    expect(second.serve && policy.yields(sha, 1, second.firstCopyAt!)).toBe(false);
    // Chunk 0 counts the other node's copy only: the next request is deferred for one hold.
    expect(policy.decide(sha, 4, 0, true)).toEqual({ serve: false, retryAfterMs: 1000 });
    expect(policy.servedCount(sha, 0)).toBe(0);
  });
});
