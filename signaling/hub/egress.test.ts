import { afterEach, describe, expect, it, vi } from 'vitest';
import { RawConn, TestRoom, bigPngBytes, startTestServer, type TestServer } from '../testing/helpers.ts';
import { BlobDemand, DEMAND_WINDOW_MS, EgressBudget, parseRate } from './egress.ts';

describe('parseRate', () => {
  it('reads bytes and bits per second', () => {
    expect(parseRate('12MB')).toBe(12e6);
    expect(parseRate('12mb/s')).toBe(12e6);
    expect(parseRate('500KiB')).toBe(500 * 1024);
    expect(parseRate('100mbit')).toBe(12.5e6);
    expect(parseRate('100 Mbit/s')).toBe(12.5e6);
    expect(parseRate('1gbit')).toBe(125e6);
    expect(parseRate('1000000')).toBe(1e6);
    expect(parseRate('2.5MiB')).toBe(2.5 * 1024 * 1024);
  });

  it('refuses what is not a rate', () => {
    for (const bad of ['', 'fast', '12 parsecs', '-5MB', '0', '0.1', 'MB', '1e9', '10mbps']) {
      expect(parseRate(bad), bad).toBeNull();
    }
  });
});

describe('EgressBudget', () => {
  afterEach(() => vi.useRealTimers());

  it('lets everything through at once without a limit, and is never over budget', () => {
    const budget = new EgressBudget({ bytesPerSecond: null });
    let ran = 0;
    for (let i = 0; i < 100; i++) budget.schedule(1 << 20, () => ran++);
    expect(ran).toBe(100);
    expect(budget.underBudget(1e15)).toBe(true);
    expect(budget.sentBytes).toBe(100 << 20);
  });

  it('paces chunks at the limit, first come first served', () => {
    vi.useFakeTimers();
    const budget = new EgressBudget({ bytesPerSecond: 64 * 1024, now: () => Date.now() });
    const ran: [number, number][] = [];
    const start = Date.now();
    for (let i = 0; i < 5; i++) budget.schedule(64 * 1024, () => ran.push([i, Date.now() - start]));
    // The burst (one chunk's worth) goes at once, taking the bucket into debt; then one a second.
    expect(ran).toEqual([[0, 0]]);
    vi.advanceTimersByTime(4_100);
    expect(ran.map(([i]) => i)).toEqual([0, 1, 2, 3, 4]);
    for (const [i, at] of ran.slice(1)) expect(at).toBeGreaterThanOrEqual(i * 1000 - 20);
    for (const [i, at] of ran.slice(1)) expect(at).toBeLessThanOrEqual(i * 1000 + 20);
  });

  it('counts the relay as the bottleneck when the demand would not leave within the budget', () => {
    vi.useFakeTimers();
    const budget = new EgressBudget({ bytesPerSecond: 1e6, budgetMs: 1000, now: () => Date.now() });
    expect(budget.underBudget(900_000)).toBe(true);
    expect(budget.underBudget(2_000_000)).toBe(false);
    // A queue counts too.
    for (let i = 0; i < 20; i++) budget.schedule(100_000, () => {});
    expect(budget.waitMs()).toBeGreaterThan(1500);
    expect(budget.underBudget()).toBe(false);
    vi.advanceTimersByTime(2_500);
    expect(budget.underBudget()).toBe(true);
  });

  it('drops what waits when closed', () => {
    vi.useFakeTimers();
    const budget = new EgressBudget({ bytesPerSecond: 1000, now: () => Date.now() });
    let ran = 0;
    for (let i = 0; i < 3; i++) budget.schedule(64 * 1024, () => ran++);
    budget.close();
    vi.advanceTimersByTime(1_000_000);
    expect(ran).toBe(1);
  });
});

describe('BlobDemand', () => {
  it('counts the connections that asked for a blob lately', () => {
    let now = 0;
    const demand = new BlobDemand(() => now);
    expect(demand.note('a', 1)).toBe(1);
    expect(demand.note('a', 2)).toBe(2);
    expect(demand.note('a', 1)).toBe(2);
    expect(demand.note('b', 3)).toBe(1);
    now = DEMAND_WINDOW_MS / 2;
    expect(demand.note('a', 3)).toBe(3);
    now = DEMAND_WINDOW_MS + 1;
    // 1 and 2 stopped asking a window ago.
    expect(demand.note('a', 4)).toBe(2);
  });
});

describe('a relay with an egress limit', () => {
  let server: TestServer;
  const open: RawConn[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await server.dispose();
  });

  async function player(clientId: string, seq = 1): Promise<RawConn> {
    const c = await RawConn.open(server, 'tcp');
    open.push(c);
    c.hello({ clientId, seq });
    await c.next('welcome');
    return c;
  }

  it('defers a chunk already served to a client with peers once a copy to every asker would not fit', async () => {
    // 64 KiB/s: a copy of a 256 KiB texture to each of two askers is seconds' worth.
    server = await startTestServer({ hub: { egressBytesPerSecond: 64 * 1024 } });
    const room = await TestRoom.create(server.url);
    const built = await room.build({
      slots: {
        background: {
          kind: 'texture',
          mime: 'image/png',
          bytes: await bigPngBytes(256 * 1024),
          version: '2',
        },
      },
    });
    expect((await room.publish(built)).status).toBe(201);
    const slot = built.signed.release.slots['background']!;
    const first = await player('first', 2);
    first.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: 1, defer: true });
    expect((await first.next('blob')).index).toBe(0);
    const second = await player('second', 2);
    second.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: 1, defer: true });
    const deferred = await second.next('blob.defer');
    expect(deferred).toMatchObject({ sha256: slot.sha256, index: 0 });
    expect(deferred.retryAfterMs).toBeGreaterThan(0);
    // Without peers (no defer flag) it is always served (the burst lets one chunk out at once).
    second.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: 1 });
    expect((await second.next('blob')).index).toBe(0);
  });

  it('serves at once while a copy to every asker fits in its budget', async () => {
    server = await startTestServer({ hub: { egressBytesPerSecond: 100e6 } });
    const room = await TestRoom.create(server.url);
    const slot = room.latest!.release.slots['background']!;
    for (const clientId of ['a', 'b', 'c', 'd']) {
      const c = await player(clientId);
      c.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: 1, defer: true });
      expect((await c.next('blob')).index).toBe(0);
    }
    expect(open.some((c) => c.messages.some((m) => m.type === 'blob.defer'))).toBe(false);
  });
});
