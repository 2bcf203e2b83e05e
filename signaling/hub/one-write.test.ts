/**
 * A big blob's `blob.get` answer leaves in **one write** per connection, as a bare server writes a
 * file: the whole run of chunk frames, one view of the blob's shared framed buffer — not 1 MiB pieces
 * (a corked `writev` of several buffers, the relay's way until the eighth round). The fan-out's speed
 * relies on it (docs/server.md, "eighth round"); every chunk still arrives and verifies. The same for
 * a seed client's `hot_update` with a big image.
 */
import { connect as netConnect, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlobAssembler, FrameDecoder, type Slot } from '../../protocol/index.ts';
import {
  bigPngBytes,
  chunkBytes,
  RawConn,
  startTestServer,
  TestRoom,
  type TestServer,
  type TransportName,
} from '../testing/helpers.ts';

let server: TestServer;
let room: TestRoom;
let slot: Slot;

beforeAll(async () => {
  server = await startTestServer({ hub: { seedRoom: 'test' } });
  room = await TestRoom.create(server.url);
  const built = await room.build({
    slots: {
      background: {
        kind: 'texture',
        mime: 'image/png',
        bytes: await bigPngBytes(3_000_000),
        version: '2.0.0',
      },
    },
  });
  expect((await room.publish(built)).status).toBe(201);
  slot = built.signed.release.slots['background']!;
});
afterAll(() => server.dispose());
afterEach(() => vi.restoreAllMocks());

/** Counts every socket write of more than 256 KiB in this process (only the relay writes such). */
function countBigWrites(): number[] {
  const sizes: number[] = [];
  const original = Socket.prototype.write;
  vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args: unknown[]) {
    const data = args[0];
    const size = data instanceof Uint8Array ? data.length : typeof data === 'string' ? data.length : 0;
    if (size > 256 * 1024) sizes.push(size);
    return (original as (...a: unknown[]) => boolean).apply(this, args);
  });
  return sizes;
}

describe('one write per connection for a big answer', () => {
  it.each<TransportName>(['tcp', 'ws'])('writes a 3 MB blob to a %s client in one write', async (t) => {
    expect(slot.chunks.length).toBeGreaterThan(40);
    const c = await RawConn.open(server, t);
    c.hello({ clientId: `one-${t}`, seq: 2, binaryChunks: true });
    await c.next('welcome');
    const sizes = countBigWrites();
    c.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: slot.chunks.length });
    const assembler = new BlobAssembler(slot);
    for (let i = 0; i < slot.chunks.length; i++) {
      const chunk = await c.next('blob', (m) => m.index === i);
      expect((await assembler.add(i, chunkBytes(chunk))).ok).toBe(true);
    }
    expect((await assembler.assemble()).ok).toBe(true);
    // One write holding every chunk's frame: the blob and a header per chunk.
    expect(sizes).toHaveLength(1);
    expect(sizes[0]).toBeGreaterThan(slot.size);
    c.close();
  });

  it("writes a seed client's hot_update with a 3 MB image in one write", async () => {
    const socket = netConnect({ host: server.host, port: server.tcpPort });
    const decoder = new FrameDecoder({ maxFrameBytes: 64 * 1024 * 1024 });
    const frames: { type?: string; background_config?: { background_image?: string } }[] = [];
    let received = 0;
    socket.on('data', (b: Buffer) => {
      received += b.length;
      for (const f of decoder.push(b)) if (f.ok) frames.push(f.value as (typeof frames)[number]);
    });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const sizes = countBigWrites();
    socket.write(JSON.stringify({ type: 'client_info', version: '1.0' }));
    const deadline = Date.now() + 10_000;
    while (frames.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const image = frames[0]?.background_config?.background_image ?? '';
    expect(frames[0]?.type).toBe('initial_config');
    expect(Buffer.from(image, 'base64').length).toBe(slot.size);
    expect(sizes).toHaveLength(1);
    expect(sizes[0]).toBe(received);
    socket.destroy();
  });
});
