import { describe, expect, it } from 'vitest';
import { RelayList } from './relay-list.ts';
import type { ConnectTransport } from './transport.ts';

const dial =
  (name: string, log: string[]): ConnectTransport =>
  () => {
    log.push(name);
    return { send: () => false, close: () => {} };
  };
const handlers = { open() {}, message() {}, invalid() {}, close() {} };

describe('RelayList', () => {
  it('moves to the next address at once until every one failed in a row, then waits', () => {
    const log: string[] = [];
    const list = new RelayList([dial('a', log), dial('b', log), dial('c', log)]);
    list.connect(handlers);
    expect(list.failed()).toBe(true); // a died: b at once
    list.connect(handlers);
    expect(list.failed()).toBe(true); // b too: c at once
    list.connect(handlers);
    expect(list.failed()).toBe(false); // c too: every one failed, wait before a again
    list.connect(handlers);
    expect(log).toEqual(['a', 'b', 'c', 'a']);
    expect(list.current).toBe(0);
  });

  it('starts a new round after a welcome', () => {
    const log: string[] = [];
    const list = new RelayList([dial('a', log), dial('b', log)]);
    expect(list.failed()).toBe(true);
    list.welcomed(); // b works
    expect(list.failed()).toBe(true); // b died later: a at once
    expect(list.current).toBe(0);
    expect(list.failed()).toBe(false);
  });

  it('with one address, never moves', () => {
    const log: string[] = [];
    const list = new RelayList(dial('only', log));
    expect(list.failed()).toBe(false);
    expect(list.size).toBe(1);
    expect(() => new RelayList([])).toThrow(RangeError);
  });
});
