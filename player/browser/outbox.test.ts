// @vitest-environment node
/** The worker's outbox: marks and status ride with the next call, or go alone after the delay. */
import { describe, expect, it } from 'vitest';
import { Outbox, type Mail } from './outbox.ts';
import type { PatchStatus } from '../core/status.ts';

const status = (seq: number): PatchStatus => ({
  room: 'r',
  seq,
  slots: {},
  mode: 'relay',
  peers: 0,
  bytesFromRelay: 0,
  bytesFromPeers: 0,
  lastError: null,
  lastFailure: null,
  clientId: null,
  loading: null,
});

describe('Outbox', () => {
  it('hands marks and the newest status to the next call, once', () => {
    const posted: Mail[] = [];
    const box = new Outbox((mail) => posted.push(mail), 1_000);
    box.mark('received', 3, 10);
    box.setStatus({ snapshot: status(2), server: 'a' });
    box.mark('accepted', 3, 11);
    box.setStatus({ snapshot: status(3), server: 'b' });
    const mail = box.take();
    expect(mail.marks).toEqual([
      ['received', 3, 10],
      ['accepted', 3, 11],
    ]);
    expect(mail.status).toEqual({ snapshot: status(3), server: 'b' });
    expect(box.take()).toEqual({ marks: [], status: null });
    expect(posted).toEqual([]);
  });

  it('posts what no call took after the delay, in one message', async () => {
    const posted: Mail[] = [];
    const box = new Outbox((mail) => posted.push(mail), 10);
    box.mark('received', 4, 1);
    box.mark('accepted', 4, 2);
    box.setStatus({ snapshot: status(4), server: 'a' });
    await new Promise((r) => setTimeout(r, 40));
    expect(posted).toHaveLength(1);
    expect(posted[0]!.marks).toHaveLength(2);
    // A take cancels the timer: nothing is posted twice.
    box.mark('fetched', 4, 3);
    box.take();
    await new Promise((r) => setTimeout(r, 40));
    expect(posted).toHaveLength(1);
  });
});
