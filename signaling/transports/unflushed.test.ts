import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { unflushedOf } from './unflushed.ts';

describe('unflushedOf', () => {
  const open: { close(): void }[] = [];
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
  });

  it("shows a real socket's one big write going into the kernel before the write completes", async () => {
    let accept: (socket: Socket) => void = () => {};
    const accepted = new Promise<Socket>((resolve) => (accept = resolve));
    const server = createServer((socket) => accept(socket)).listen(0, '127.0.0.1');
    open.push(server);
    await once(server, 'listening');
    const reader = connect((server.address() as { port: number }).port, '127.0.0.1');
    open.push({ close: () => reader.destroy() });
    reader.pause();
    const writer = await accepted;
    open.push({ close: () => writer.destroy() });
    let done = false;
    writer.write(Buffer.alloc(64 * 1024 * 1024), () => (done = true));
    const before = unflushedOf(writer)!;
    // Most of it waits in libuv's queue: the kernel's buffers are full and nobody reads.
    expect(before).toBeGreaterThan(16 * 1024 * 1024);
    let got = 0;
    reader.on('data', (d: Buffer) => (got += d.length));
    reader.resume();
    while (got < 24 * 1024 * 1024) await new Promise((r) => setTimeout(r, 5));
    reader.pause();
    await new Promise((r) => setTimeout(r, 50));
    // Part of the write was taken by the kernel, and the write has not completed.
    expect(done).toBe(false);
    expect(unflushedOf(writer)!).toBeLessThan(before);
  });
});
