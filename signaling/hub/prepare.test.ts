/**
 * A blob uploaded for a release not yet published is made ready to send while the publisher goes on
 * (its chunk frames for the wires of the room's connections; a seed background's base64): when the
 * release is accepted, the relay starts writing at once. And what it then sends is still right.
 */
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobAssembler, FrameDecoder } from '../../protocol/index.ts';
import {
  bigPngBytes,
  chunkBytes,
  RawConn,
  startTestServer,
  TestRoom,
  type TestServer,
} from '../testing/helpers.ts';
import { TCP_FRAMING } from './framing.ts';
import { WS_FRAMING } from '../transports/ws.ts';

let server: TestServer;
let room: TestRoom;

beforeAll(async () => {
  server = await startTestServer({ hub: { seedRoom: 'test' } });
  room = await TestRoom.create(server.url);
});
afterAll(() => server.dispose());

describe('a blob uploaded before its release is published', () => {
  it("is framed for the room's wires and in base64 for its seed clients before the release is accepted", async () => {
    const tcp = await RawConn.open(server, 'tcp');
    tcp.hello({ clientId: 'prep-tcp', seq: room.latest!.release.seq, binaryChunks: true });
    await tcp.next('welcome');
    const seed = netConnect({ host: server.host, port: server.tcpPort });
    const decoder = new FrameDecoder({ maxFrameBytes: 64 * 1024 * 1024 });
    const seedFrames: { type?: string; config?: { background_image?: string } }[] = [];
    seed.on('data', (b: Buffer) => {
      for (const f of decoder.push(b)) if (f.ok) seedFrames.push(f.value as (typeof seedFrames)[number]);
    });
    await new Promise<void>((r) => seed.once('connect', () => r()));
    seed.write(JSON.stringify({ type: 'client_info', version: '1.0' }));
    while (seedFrames.length === 0) await new Promise((r) => setTimeout(r, 10));

    const built = await room.build({
      slots: {
        background: { kind: 'texture', mime: 'image/png', bytes: await bigPngBytes(1_000_000), version: '3' },
      },
    });
    const slot = built.signed.release.slots['background']!;
    const binaryTcp = { binary: true, framing: TCP_FRAMING };
    let atAccept: boolean[] = [];
    const off = server.relay.onRelease(() => {
      atAccept = [
        server.hub.isPrepared(slot.sha256, slot.chunkSize, binaryTcp),
        server.hub.isPrepared(slot.sha256, slot.chunkSize, 'seed'),
        // No WebSocket client in the room: nothing framed for that wire.
        server.hub.isPrepared(slot.sha256, slot.chunkSize, { binary: true, framing: WS_FRAMING }),
      ];
    });
    expect((await room.publish(built)).status).toBe(201);
    off();
    expect(atAccept).toEqual([true, true, false]);

    // What goes out is the blob, chunk by chunk, and the image in the seed client's hot_update.
    await tcp.next('release');
    tcp.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: slot.chunks.length });
    const assembler = new BlobAssembler(slot);
    for (let i = 0; i < slot.chunks.length; i++) {
      expect((await assembler.add(i, chunkBytes(await tcp.next('blob', (m) => m.index === i)))).ok).toBe(
        true,
      );
    }
    const whole = await assembler.assemble();
    expect(whole.ok).toBe(true);
    while (!seedFrames.some((f) => f.type === 'hot_update')) await new Promise((r) => setTimeout(r, 10));
    const update = seedFrames.find((f) => f.type === 'hot_update')!;
    expect(
      Buffer.from(update.config!.background_image!, 'base64').equals(
        Buffer.from(built.blobs.get(slot.sha256)!),
      ),
    ).toBe(true);
    tcp.close();
    seed.destroy();
  });

  it('is not framed ahead for WebSocket clients that take big blobs over HTTP, and is for those that do not', async () => {
    const http = await RawConn.open(server, 'ws');
    http.hello({ clientId: 'prep-http', seq: room.latest!.release.seq, binaryChunks: true, httpBlobs: true });
    await http.next('welcome');
    const built = await room.build({
      slots: {
        background: { kind: 'texture', mime: 'image/png', bytes: await bigPngBytes(300_000), version: '4' },
      },
    });
    const slot = built.signed.release.slots['background']!;
    const binaryWs = { binary: true, framing: WS_FRAMING };
    let prepared: boolean | null = null;
    let off = server.relay.onRelease(() => {
      prepared = server.hub.isPrepared(slot.sha256, slot.chunkSize, binaryWs);
    });
    expect((await room.publish(built)).status).toBe(201);
    off();
    expect(prepared).toBe(false);
    // Asked for all the same (its GET failed, say), the chunks come.
    await http.next('release', (m) => m.signed?.release?.seq === built.signed.release.seq);
    http.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: slot.chunks.length });
    const assembler = new BlobAssembler(slot);
    for (let i = 0; i < slot.chunks.length; i++) {
      expect((await assembler.add(i, chunkBytes(await http.next('blob', (m) => m.index === i)))).ok).toBe(
        true,
      );
    }
    expect((await assembler.assemble()).ok).toBe(true);

    // A WebSocket client that did not say so: its wire is framed ahead.
    const chunks = await RawConn.open(server, 'ws');
    chunks.hello({ clientId: 'prep-chunks', seq: room.latest!.release.seq, binaryChunks: true });
    await chunks.next('welcome');
    const next = await room.build({
      slots: {
        background: { kind: 'texture', mime: 'image/png', bytes: await bigPngBytes(300_000), version: '5' },
      },
    });
    const nextSlot = next.signed.release.slots['background']!;
    off = server.relay.onRelease(() => {
      prepared = server.hub.isPrepared(nextSlot.sha256, nextSlot.chunkSize, binaryWs);
    });
    expect((await room.publish(next)).status).toBe(201);
    off();
    expect(prepared).toBe(true);
    http.close();
    chunks.close();
  });
});
