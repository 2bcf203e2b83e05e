/**
 * A big answer leaves in **window-sized writes**, each handed over once the kernel took the one
 * before: a `blob.get`'s chunk frames as views of the blob's shared framed buffer of up to the
 * connection's window, a seed client's `hot_update` cut at the window. Not one write of the whole
 * (8 MiB windows until the fourteenth round: a 500-client seed fan-out then put the kernel into TCP
 * memory pressure, docs/server.md), not two runs in one write past the window (until the fifteenth),
 * and not many small pieces at once (a corked `writev`, the relay's way until the eighth round). Every chunk still arrives and verifies; the TCP port's write
 * size follows the window the server is given.
 */
import { connect as netConnect, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlobAssembler, FrameDecoder, type Slot } from '../../protocol/index.ts';
import { DEFAULT_HUB_OPTIONS, DEFAULT_WINDOW_BYTES } from './options.ts';
import {
  bigPngBytes,
  chunkBytes,
  RawConn,
  startTestServer,
  TestRoom,
  type TestServer,
  type TransportName,
} from '../testing/helpers.ts';

/** A window smaller than the default, to see the TCP port's writes follow the server's own. */
const SMALL_WINDOW = 512 * 1024;

let server: TestServer;
let small: TestServer;
let slot: Slot;

/** The seed room's release with a 3 MB PNG background, published to `relay`. */
async function publishBig(relay: TestServer, png: Uint8Array): Promise<Slot> {
  const room = await TestRoom.create(relay.url);
  const built = await room.build({
    slots: { background: { kind: 'texture', mime: 'image/png', bytes: png, version: '2.0.0' } },
  });
  expect((await room.publish(built)).status).toBe(201);
  return built.signed.release.slots['background']!;
}

beforeAll(async () => {
  server = await startTestServer({ hub: { seedRoom: 'test' } });
  const outbox = { ...DEFAULT_HUB_OPTIONS.outbox, windowBytes: SMALL_WINDOW };
  small = await startTestServer({ hub: { seedRoom: 'test', outbox } });
  const png = await bigPngBytes(3_000_000);
  slot = await publishBig(server, png);
  await publishBig(small, png);
});
afterAll(async () => {
  await server.dispose();
  await small.dispose();
});
afterEach(() => vi.restoreAllMocks());

/** Socket writes this big or bigger are counted (only the relay writes such here: one chunk frame is). */
const BIG_WRITE = 32 * 1024;

/** Counts every socket write of at least {@link BIG_WRITE} in this process. */
function countBigWrites(): number[] {
  const sizes: number[] = [];
  const original = Socket.prototype.write;
  vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args: unknown[]) {
    const data = args[0];
    const size = data instanceof Uint8Array ? data.length : typeof data === 'string' ? data.length : 0;
    if (size >= BIG_WRITE) sizes.push(size);
    return (original as (...a: unknown[]) => boolean).apply(this, args);
  });
  return sizes;
}

/** `total` bytes written a whole window at a time, the rest last (the counted ones of those writes). */
function expectWindowWrites(sizes: readonly number[], total: number, window: number): void {
  const writes = Array.from({ length: Math.ceil(total / window) }, (_, i) =>
    Math.min(window, total - i * window),
  );
  expect(sizes).toEqual(writes.filter((size) => size >= BIG_WRITE));
}

describe('window-sized writes for a big answer', () => {
  it.each<TransportName>(['tcp', 'ws'])(
    'writes a 3 MB blob to a %s client in window-sized runs',
    async (t) => {
      expect(slot.chunks.length).toBeGreaterThan(40);
      const c = await RawConn.open(server, t);
      c.hello({ clientId: `window-${t}`, seq: 2, binaryChunks: true });
      await c.next('welcome');
      const sizes = countBigWrites();
      c.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: slot.chunks.length });
      const assembler = new BlobAssembler(slot);
      for (let i = 0; i < slot.chunks.length; i++) {
        const chunk = await c.next('blob', (m) => m.index === i);
        expect((await assembler.add(i, chunkBytes(chunk))).ok).toBe(true);
      }
      expect((await assembler.assemble()).ok).toBe(true);
      // Runs of whole chunk frames (the blob and a header per chunk): each at most a window, and all
      // but the last within one chunk frame of it.
      expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(slot.size);
      expect(sizes.length).toBeGreaterThan(1);
      for (const size of sizes) expect(size).toBeLessThanOrEqual(DEFAULT_WINDOW_BYTES);
      for (const size of sizes.slice(0, -1)) {
        expect(size).toBeGreaterThan(DEFAULT_WINDOW_BYTES - slot.chunkSize - 64);
      }
      c.close();
    },
  );

  it.each([
    ['the default window', () => server, DEFAULT_WINDOW_BYTES],
    ['a server given a smaller one', () => small, SMALL_WINDOW],
  ] as const)("cuts a seed client's hot_update with a 3 MB image at %s", async (_, relay, window) => {
    const socket = netConnect({ host: relay().host, port: relay().tcpPort });
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
    expectWindowWrites(sizes, received, window);
    socket.destroy();
  });
});
