/**
 * The send queue and the write scheduler, driven by a sink whose writes complete when the test says
 * so (a socket that reads or does not).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_WRITE_SLOTS, REVOKED_SHARE, SLOT_RANGE, WriteScheduler, type SlotHolder } from './fanout.ts';
import { DEFAULT_HUB_OPTIONS } from './options.ts';
import { TCP_FRAMING } from './framing.ts';
import { Outbox, type Payload, type Sink } from './outbox.ts';

class TestSink implements Sink {
  // The length-prefix framing writes a payload's frame as it is: here, its text.
  readonly framing = TCP_FRAMING;
  readonly sliceBytes: number;
  readonly written: Uint8Array[] = [];
  private pending: (() => void)[] = [];
  unflushedBytes?: () => number;

  constructor(sliceBytes = Infinity) {
    this.sliceBytes = sliceBytes;
  }

  write(bytes: Uint8Array, done: (error?: Error | null) => void): void {
    this.written.push(bytes);
    if (this.corked) this.batches[this.batches.length - 1]! += 1;
    this.pending.push(() => done(null));
  }

  /** Writes per cork → uncork, in order (the batches a socket would get as one system call each). */
  readonly batches: number[] = [];
  private corked = false;

  cork(): void {
    this.corked = true;
    this.batches.push(0);
  }

  uncork(): void {
    this.corked = false;
    if (this.batches.at(-1) === 0) this.batches.pop();
  }

  /** Completes the oldest write. */
  flushOne(): void {
    this.pending.shift()?.();
  }

  /** Completes every write so far (the peer read them). */
  flush(): void {
    for (const done of this.pending.splice(0)) done();
  }

  text(): string {
    return this.written.map((b) => new TextDecoder().decode(b)).join('');
  }
}

const payload = (text: string): Payload => ({ frame: new TextEncoder().encode(text) });
const limits = { windowBytes: 10, maxQueuedBytes: 100, dropAfterMs: 1_000 };
/** Turns run as soon as they are asked for: these tests are about windows, queues and slots. */
const AT_ONCE = { defer: (turns: () => void) => turns() };

describe('Outbox', () => {
  it('writes control messages at once, up to the window', () => {
    const sink = new TestSink();
    const box = new Outbox(sink, new WriteScheduler(AT_ONCE), limits);
    box.send(payload('aaaa'));
    box.send(payload('bbbbbbb'));
    box.send(payload('cc'));
    expect(sink.text()).toBe('aaaabbbbbbb');
    sink.flush();
    expect(sink.text()).toBe('aaaabbbbbbbcc');
  });

  it('lets a newer message with the same key replace an unsent older one', () => {
    const sink = new TestSink();
    const box = new Outbox(sink, new WriteScheduler(AT_ONCE), limits);
    box.send(payload('0123456789'));
    box.send(payload('r1'), { key: 'release' });
    box.send(payload('x'));
    box.send(payload('r2'), { key: 'release' });
    sink.flush();
    sink.flush();
    expect(sink.text()).toBe('0123456789xr2');
  });

  it('slices big messages and keeps their bytes in order', () => {
    const sink = new TestSink(4);
    const box = new Outbox(sink, new WriteScheduler(AT_ONCE), { ...limits, windowBytes: 8 });
    box.send(payload('abcdefghijkl'), { bulk: true });
    box.send(payload('Z'));
    expect(sink.written.map((b) => b.length)).toEqual([4, 4]);
    sink.flush();
    sink.flush();
    expect(sink.text()).toBe('abcdefghijklZ');
  });

  it('writes what a batch queued in one corked write, framed pieces as they are', () => {
    const sink = new TestSink();
    const box = new Outbox(sink, new WriteScheduler(AT_ONCE), { ...limits, windowBytes: 64 });
    box.send(payload('a'), { bulk: true });
    sink.flush();
    box.batch(() => {
      box.send({ wire: new TextEncoder().encode('bb') }, { bulk: true });
      box.send(payload('c'));
      box.send({ wire: new TextEncoder().encode('dd') }, { bulk: true });
      expect(sink.written.length).toBe(1);
    });
    // The lone first message went as it was (no cork); the batch's three in one corked write.
    expect(sink.batches).toEqual([3]);
    sink.flush();
    expect(sink.text()).toBe('acbbdd');
  });

  it('refills bulk bytes in batches: once half the window flushed, up to the window, in one corked write', () => {
    const sink = new TestSink(2);
    const box = new Outbox(sink, new WriteScheduler(AT_ONCE), { ...limits, windowBytes: 8 });
    box.send(payload('abcdefghijklmnop'), { bulk: true });
    expect(sink.written.length).toBe(4);
    sink.flushOne();
    expect(sink.written.length).toBe(4);
    sink.flushOne();
    expect(sink.written.length).toBe(6);
    expect(sink.batches).toEqual([4, 2]);
    while (box.pendingBytes > 0) sink.flush();
    expect(sink.text()).toBe('abcdefghijklmnop');
    expect(sink.batches).toEqual([4, 2, 2]);
  });

  it('never puts a second piece past the window: a run that does not fit waits for the flush', () => {
    const sink = new TestSink();
    const box = new Outbox(sink, new WriteScheduler(AT_ONCE), { ...limits, windowBytes: 10 });
    const run = (c: string) => ({ wire: new TextEncoder().encode(c.repeat(4)) });
    box.batch(() => {
      for (const c of 'abc') box.send(run(c), { bulk: true });
    });
    // 4 + 4 fit in 10; a third 4 would be 12.
    expect(sink.text()).toBe('aaaabbbb');
    sink.flush();
    expect(sink.text()).toBe('aaaabbbbcccc');
    // A piece bigger than the window goes alone, on an empty one.
    box.send({ wire: new TextEncoder().encode('x'.repeat(16)) }, { bulk: true });
    expect(sink.written.length).toBe(3);
    sink.flush();
    expect(sink.written.length).toBe(4);
  });

  it('reports a queue over its limit as too slow', () => {
    const sink = new TestSink();
    const box = new Outbox(sink, new WriteScheduler(AT_ONCE), limits);
    const why: string[] = [];
    box.onTooSlow = (w) => why.push(w);
    for (let i = 0; i < 12; i++) box.send(payload('0123456789'));
    expect(why.length).toBeGreaterThan(0);
  });

  it('reports no progress for too long as too slow', () => {
    let t = 0;
    const sink = new TestSink();
    const box = new Outbox(sink, new WriteScheduler(AT_ONCE), limits, () => t);
    const why: string[] = [];
    box.onTooSlow = (w) => why.push(w);
    box.send(payload('0123456789'));
    t = 900;
    box.checkStall();
    expect(why).toEqual([]);
    t = 1_100;
    box.checkStall();
    expect(why.length).toBe(1);
  });

  it('does not count the wait for a write slot as the client being too slow', () => {
    let t = 0;
    const scheduler = new WriteScheduler({ ...AT_ONCE, maxActive: 1, now: () => t });
    const busy = new Outbox(new TestSink(), scheduler, limits, () => t);
    const waiting = new Outbox(new TestSink(), scheduler, limits, () => t);
    const why: string[] = [];
    waiting.onTooSlow = (w) => why.push(w);
    busy.send(payload('0123456789'), { bulk: true });
    waiting.send(payload('abc'), { bulk: true });
    t = 5_000;
    waiting.checkStall();
    expect(why).toEqual([]);
  });

  it('finishes with a last message after the half-written one, then resolves', async () => {
    const sink = new TestSink(4);
    const box = new Outbox(sink, new WriteScheduler(AT_ONCE), { ...limits, windowBytes: 4 });
    box.send(payload('abcdefgh'), { bulk: true });
    box.send(payload('never'));
    const done = box.finish(payload('ERR'));
    sink.flush();
    sink.flush();
    sink.flush();
    await done;
    expect(sink.text()).toBe('abcdefghERR');
  });
});

describe('WriteScheduler', () => {
  it('lets a few connections write bulk at once, and the next in line when one is done', () => {
    const scheduler = new WriteScheduler({ ...AT_ONCE, maxActive: 2 });
    const sinks = [new TestSink(), new TestSink(), new TestSink()];
    const boxes = sinks.map((s) => new Outbox(s, scheduler, limits));
    boxes.forEach((b) => b.send(payload('12345'), { bulk: true }));
    expect(sinks.map((s) => s.written.length)).toEqual([1, 1, 0]);
    expect(scheduler.waitingCount).toBe(1);
    sinks[0]!.flush();
    expect(sinks[2]!.written.length).toBe(1);
    scheduler.close();
  });

  it('takes the slot from a holder that stopped reading, so it holds back no one', () => {
    let t = 0;
    const scheduler = new WriteScheduler({ ...AT_ONCE, maxActive: 1, stallMs: 100, now: () => t });
    const stuck = new TestSink();
    const good = new TestSink();
    const a = new Outbox(stuck, scheduler, limits, () => t);
    const b = new Outbox(good, scheduler, limits, () => t);
    a.send(payload('0123456789'), { bulk: true });
    a.send(payload('more'), { bulk: true });
    b.send(payload('hello'), { bulk: true });
    expect(good.written.length).toBe(0);
    t = 150;
    scheduler.sweep();
    expect(scheduler.revocations).toBe(1);
    expect(good.text()).toBe('hello');
    // The stuck one comes back in line when it moves again.
    good.flush();
    stuck.flush();
    expect(stuck.text()).toBe('0123456789more');
    scheduler.close();
  });

  it('keeps the slot of a holder whose one big write the kernel is still taking, piece by piece', () => {
    let t = 0;
    const scheduler = new WriteScheduler({ ...AT_ONCE, maxActive: 1, stallMs: 100, now: () => t });
    const slow = new TestSink();
    let unflushed = 0;
    slow.unflushedBytes = () => unflushed;
    const box = new Outbox(slow, scheduler, limits, () => t);
    unflushed = 10;
    box.send(payload('0123456789'), { bulk: true });
    new Outbox(new TestSink(), scheduler, limits, () => t).send(payload('next'), { bulk: true });
    // The write has not completed, but the kernel takes some of it between looks: not stalled.
    for (const left of [8, 5, 2]) {
      t += 60;
      unflushed = left;
      scheduler.sweep();
    }
    expect(scheduler.revocations).toBe(0);
    // Nothing taken for longer than the stall time: the slot goes to the next in line.
    t += 150;
    scheduler.sweep();
    expect(scheduler.revocations).toBe(1);
    scheduler.close();
  });

  it(`lets at most ${REVOKED_SHARE}× the slots fill at once when every reader is slow, and the next in line go as each write ends`, () => {
    let t = 0;
    const scheduler = new WriteScheduler({ ...AT_ONCE, maxActive: 2, stallMs: 100, now: () => t });
    const sinks = Array.from({ length: 6 }, () => new TestSink());
    for (const sink of sinks)
      new Outbox(sink, scheduler, limits, () => t).send(payload('abc'), { bulk: true });
    const filling = () => sinks.filter((s) => s.written.length > 0).length;
    expect(filling()).toBe(2);
    // Nobody reads: each stall takes the slots back, but a socket whose write is still in flight
    // still fills; without the bound, every socket would be filling after a few sweeps.
    for (let i = 0; i < 5; i++) {
      t += 150;
      scheduler.sweep();
    }
    expect(filling()).toBe(2 * REVOKED_SHARE);
    expect(scheduler.activeCount).toBe(0);
    // One of them finishes its write: the next in line starts at once.
    sinks[0]!.flush();
    expect(filling()).toBe(2 * REVOKED_SHARE + 1);
    scheduler.close();
  });

  it("with the relay's defaults, a slot for every holder that stopped reading still holds back no one", () => {
    // The relay writes many sockets at once (DEFAULT_WRITE_SLOTS); even when every one of those
    // slots went to a client that never reads, a reader behind them is served after one stall.
    let t = 0;
    const { maxActive, stallMs } = DEFAULT_HUB_OPTIONS.scheduler;
    expect(maxActive).toBe(DEFAULT_WRITE_SLOTS);
    const scheduler = new WriteScheduler({ ...AT_ONCE, ...DEFAULT_HUB_OPTIONS.scheduler, now: () => t });
    const stuck = Array.from({ length: DEFAULT_WRITE_SLOTS }, () => new TestSink());
    for (const sink of stuck) new Outbox(sink, scheduler, limits, () => t).send(payload('x'), { bulk: true });
    expect(scheduler.activeCount).toBe(DEFAULT_WRITE_SLOTS);
    const good = new TestSink();
    new Outbox(good, scheduler, limits, () => t).send(payload('hello'), { bulk: true });
    expect(good.written.length).toBe(0);
    t = (stallMs ?? 250) + 1;
    scheduler.sweep();
    expect(good.text()).toBe('hello');
    // Many sockets fill at once: the next readers are not queued behind one or four.
    const readers = Array.from({ length: 8 }, () => new TestSink());
    for (const sink of readers)
      new Outbox(sink, scheduler, limits, () => t).send(payload('y'), { bulk: true });
    expect(readers.every((r) => r.text() === 'y')).toBe(true);
    scheduler.close();
  });

  /** A holder the test moves by hand: granted or not, progress when told. */
  function holder(now: () => number): SlotHolder & { has: boolean; progress: number } {
    const h = {
      has: false,
      progress: now(),
      get lastProgress() {
        return h.progress;
      },
      writing: true,
      granted: () => void (h.has = true),
      revoked: () => void (h.has = false),
      turn: () => {},
    };
    return h;
  }

  it(`adds a slot for each holder done without stalling, up to ${SLOT_RANGE}× the configured count`, () => {
    let t = 0;
    const scheduler = new WriteScheduler({ ...AT_ONCE, maxActive: 2, stallMs: 100, now: () => t });
    const all = Array.from({ length: 40 }, () => holder(() => t));
    for (const h of all) scheduler.request(h);
    expect(all.filter((h) => h.has).length).toBe(2);
    // Readers that keep up: each holder finishes and gives its slot back; the next ones start, more
    // of them at once each time.
    const done = all.filter((h) => h.has);
    scheduler.release(done[0]!);
    expect(scheduler.slotLimit).toBe(3);
    expect(scheduler.activeCount).toBe(3);
    for (let i = 0; i < 30; i++) {
      const next = all.find((h) => h.has);
      next!.has = false;
      scheduler.release(next!);
    }
    expect(scheduler.slotLimit).toBe(2 * SLOT_RANGE);
    expect(scheduler.activeCount).toBe(all.filter((h) => h.has).length);
    scheduler.close();
  });

  it('adds no slot for a holder that leaves (its connection closed): that says nothing of the readers', () => {
    let t = 0;
    const scheduler = new WriteScheduler({ ...AT_ONCE, maxActive: 2, stallMs: 100, now: () => t });
    const sinks = Array.from({ length: 4 }, () => new TestSink());
    const boxes = sinks.map((s) => new Outbox(s, scheduler, limits, () => t));
    for (const box of boxes) box.send(payload('0123456789'), { bulk: true });
    expect(scheduler.activeCount).toBe(2);
    boxes[0]!.close();
    void boxes[1]!.finish(payload('bye'));
    expect(scheduler.slotLimit).toBe(2);
    // The next in line took the freed slots.
    expect(sinks[2]!.written.length).toBe(1);
    expect(sinks[3]!.written.length).toBe(1);
    scheduler.close();
  });

  it('halves the slots when many holders stall at once, down to the configured count ÷ the range; one non-reader among many moves nothing', () => {
    let t = 0;
    const scheduler = new WriteScheduler({ ...AT_ONCE, maxActive: 16, stallMs: 100, now: () => t });
    const all = Array.from({ length: 200 }, () => holder(() => t));
    for (const h of all) scheduler.request(h);
    expect(scheduler.activeCount).toBe(16);
    // One of the sixteen stops reading; the others keep going: no change.
    t = 150;
    for (const h of all.filter((x) => x.has).slice(1)) h.progress = t;
    scheduler.sweep();
    expect(scheduler.revocations).toBe(1);
    expect(scheduler.slotLimit).toBe(16);
    // Every holder stalls, sweep after sweep (readers that can't keep up): 16 → 8 → 4 → 2, then no lower.
    const limits: number[] = [];
    for (let i = 0; i < 6; i++) {
      t += 150;
      scheduler.sweep();
      limits.push(scheduler.slotLimit);
    }
    expect(limits).toEqual([8, 4, 2, 2, 2, 2]);
    expect(Math.ceil(16 / SLOT_RANGE)).toBe(2);
    scheduler.close();
  });

  it("takes turns: a socket whose writes the kernel takes at once gets one window, then the others' turn", async () => {
    // A kernel that takes every write at once (loopback, an open window): each completes in a tick.
    const log: string[] = [];
    const instant = (name: string): Sink => ({
      framing: TCP_FRAMING,
      sliceBytes: 4,
      write(bytes, done) {
        log.push(`${name}${bytes.length}`);
        process.nextTick(done);
      },
    });
    // The production scheduler: turns on `setImmediate`.
    const scheduler = new WriteScheduler();
    const a = new Outbox(instant('a'), scheduler, { ...limits, windowBytes: 4 });
    const b = new Outbox(instant('b'), scheduler, { ...limits, windowBytes: 4 });
    a.send(payload('x'.repeat(12)), { bulk: true });
    // The other connection's request comes in with a later I/O event: refilled from inside its own
    // completions, the first socket had all three windows by then.
    await new Promise((r) => setImmediate(r));
    b.send(payload('y'.repeat(12)), { bulk: true });
    while (!a.idle || !b.idle) await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['a4', 'b4', 'a4', 'b4', 'a4', 'b4']);
    scheduler.close();
  });

  it('runs the turns in the order asked, once each, and a holder asking during them in the next round', () => {
    let due: (() => void) | null = null;
    const scheduler = new WriteScheduler({ defer: (turns) => void (due = turns) });
    const order: string[] = [];
    const turnTaker = (name: string, again = false): SlotHolder => {
      const h: SlotHolder = {
        lastProgress: 0,
        writing: false,
        granted: () => {},
        revoked: () => {},
        turn: () => {
          order.push(name);
          if (again) scheduler.nextTurn(h);
        },
      };
      return h;
    };
    const [x, y, z] = [turnTaker('x', true), turnTaker('y'), turnTaker('z')];
    scheduler.nextTurn(y);
    scheduler.nextTurn(x);
    scheduler.nextTurn(y);
    scheduler.nextTurn(z);
    expect(order).toEqual([]);
    const round = () => {
      const run = due;
      due = null;
      run?.();
    };
    round();
    expect(order).toEqual(['y', 'x', 'z']);
    round();
    expect(order).toEqual(['y', 'x', 'z', 'x']);
  });
});
