/**
 * The bad-input list of the relay: what a hostile or broken client may send, and clients that never
 * say hello or never read. Each gets an error frame (when its socket can still take one) and a close;
 * nobody else is disturbed and the process keeps serving.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ErrorCode, FrameDecoder, encodeFrame } from '../protocol/index.ts';
import { NodePlayer, tcpTransport } from '../player/node/index.ts';
import {
  RawConn,
  TestRoom,
  bigPngBytes,
  startTestServer,
  until,
  type TestServer,
} from './testing/helpers.ts';

let server: TestServer;
let room: TestRoom;
const cleanup: (() => void)[] = [];

beforeEach(async () => {
  server = await startTestServer({
    hub: {
      helloTimeoutMs: 600,
      heartbeatMs: 1_000,
      seedRoom: 'test',
      outbox: { windowBytes: 256 * 1024, maxQueuedBytes: 64 * 1024 * 1024, dropAfterMs: 1_500 },
      scheduler: { maxActive: 2, stallMs: 100 },
      closeGraceMs: 300,
    },
  });
  room = await TestRoom.create(server.url);
});
afterEach(async () => {
  for (const f of cleanup.splice(0)) f();
  await server.dispose();
});

/** A raw TCP socket that collects the frames it gets. */
function rawSocket(): Promise<{ socket: Socket; frames: unknown[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: server.host, port: server.tcpPort });
    cleanup.push(() => socket.destroy());
    const frames: unknown[] = [];
    const decoder = new FrameDecoder({ maxFrameBytes: 64 * 1024 * 1024 });
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) if (f.ok) frames.push(f.value);
    });
    socket.on('error', () => {});
    socket.on('connect', () => resolve({ socket, frames, closed }));
    socket.on('error', reject);
  });
}

async function expectErrorThenClose(
  conn: { frames: unknown[]; closed: Promise<void> },
  code: string,
  timeoutMs = 3_000,
): Promise<void> {
  await Promise.race([
    conn.closed,
    new Promise((_, j) => setTimeout(() => j(new Error('not closed')), timeoutMs)),
  ]);
  expect(conn.frames.at(-1)).toMatchObject({ type: 'error', code, fatal: true });
}

/**
 * A well-behaved headless player over TCP (the relay's side is under test: it accepts what
 * verifies, and runs no scripts).
 */
function player(clientId: string): NodePlayer {
  const accept = () => ({ status: 'applied' as const });
  return new NodePlayer({
    room: 'test',
    publicKey: room.key.publicKey,
    server: server.url,
    connect: tcpTransport(server.host, server.tcpPort),
    clientId,
    handlers: { script: accept, texture: accept, config: accept },
  });
}

/** Checks the relay still serves a well-behaved client. */
async function stillServing(): Promise<void> {
  const c = await RawConn.open(server, 'tcp');
  cleanup.push(() => c.close());
  c.hello({ clientId: 'healthy' });
  await c.next('release');
}

describe('bad frames on the TCP port', () => {
  it('garbage instead of a hello', async () => {
    const c = await rawSocket();
    c.socket.write('GET / HTTP/1.1\r\nHost: relay\r\n\r\n');
    await expectErrorThenClose(c, ErrorCode.FRAME_TOO_LARGE);
    await stillServing();
  });

  it('a header announcing 0xFFFFFFFF bytes', async () => {
    const c = await rawSocket();
    c.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await expectErrorThenClose(c, ErrorCode.FRAME_TOO_LARGE);
    await stillServing();
  });

  it('a header, then silence', async () => {
    const c = await rawSocket();
    c.socket.write(Buffer.from([0, 0, 0, 200, 0x7b]));
    await expectErrorThenClose(c, ErrorCode.HELLO_TIMEOUT);
    await stillServing();
  });

  it('a frame cut mid-body, then the end of the stream', async () => {
    const c = await rawSocket();
    const frame = encodeFrame({ type: 'hello', v: 1, room: 'test', role: 'player', clientId: 'cut', seq: 0 });
    c.socket.end(frame.subarray(0, frame.length - 5));
    await expectErrorThenClose(c, ErrorCode.FRAME_TRUNCATED);
    await stillServing();
  });

  it('a frame over the inbound limit after hello', async () => {
    const c = await RawConn.open(server, 'tcp');
    cleanup.push(() => c.close());
    c.hello({ seq: 1 });
    await c.next('welcome');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(2 * 1024 * 1024);
    c.socket!.write(header);
    expect(await c.next('error')).toMatchObject({ code: ErrorCode.FRAME_TOO_LARGE, fatal: true });
    await c.waitEnd();
  });

  it('a WebSocket message over the limit closes that socket only', async () => {
    const ws = new WebSocket(`ws://${server.host}:${server.httpPort}/ws`);
    cleanup.push(() => ws.terminate());
    await new Promise((r) => ws.on('open', r));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.send('x'.repeat(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
    await stillServing();
  });
});

describe('crowds and sloths', () => {
  it('300 connections that never say hello are all closed, while others are served', async () => {
    const idle = await Promise.all(Array.from({ length: 300 }, () => rawSocket()));
    await stillServing();
    await Promise.all(idle.map((c) => expectErrorThenClose(c, ErrorCode.HELLO_TIMEOUT, 5_000)));
    await until(() => server.hub.size <= 1, 3_000, 'the idle connections to be forgotten');
    await stillServing();
  });

  it('a client that never reads holds back no one, and is dropped', async () => {
    const png = await bigPngBytes(3 * 1024 * 1024);
    const built = await room.build({
      slots: { background: { kind: 'texture', mime: 'image/png', bytes: png, version: '2' } },
    });
    expect((await room.publish(built)).status).toBe(201);
    const slot = built.signed.release.slots['background']!;

    // The sloth connects first, asks for the whole texture, and stops reading.
    const sloth = await RawConn.open(server, 'tcp');
    cleanup.push(() => sloth.close());
    sloth.hello({ clientId: 'sloth' });
    await sloth.next('release');
    sloth.socket!.pause();
    sloth.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: slot.chunks.length });
    // A seed client that never reads a byte (its initial_config carries the whole image).
    const seedSloth = netConnect({ host: server.host, port: server.tcpPort });
    cleanup.push(() => seedSloth.destroy());
    seedSloth.on('error', () => {});
    await new Promise((r) => seedSloth.on('connect', r));
    seedSloth.pause();
    seedSloth.write(JSON.stringify({ type: 'client_info', version: '1', platform: 'sloth' }));
    await new Promise((r) => setTimeout(r, 50));

    const started = performance.now();
    const clients = Array.from({ length: 20 }, (_, i) => player(`reader-${i}`));
    cleanup.push(() => clients.forEach((c) => c.close()));
    await Promise.all(clients.map((c) => c.start()));
    await Promise.all(clients.map((c) => c.waitForSeq(2, 10_000)));
    const took = performance.now() - started;
    expect(took).toBeLessThan(5_000);

    await until(
      () => !server.hub.rosterOf('test').clients.some((c) => c.clientId === 'sloth'),
      5_000,
      'sloth dropped',
    );
    await until(
      () => !server.hub.rosterOf('test').clients.some((c) => c.transport === 'seed-tcp'),
      5_000,
      'seed sloth dropped',
    );
    const metrics = await (await fetch(server.url + '/metrics')).text();
    expect(metrics).toMatch(/patchcast_connections_dropped_total\{code="TOO_SLOW"\} [1-9]/);
  }, 30_000);

  it('clients joining and leaving during a push disturb no one', async () => {
    const png = await bigPngBytes(1024 * 1024);
    const steady = Array.from({ length: 10 }, (_, i) => player(`s-${i}`));
    cleanup.push(() => steady.forEach((c) => c.close()));
    await Promise.all(steady.map((c) => c.start()));
    await Promise.all(steady.map((c) => c.waitForSeq(1)));
    const built = await room.build({
      slots: { background: { kind: 'texture', mime: 'image/png', bytes: png, version: '2' } },
    });
    // Churn: raw connections that join, ask for chunks, and vanish mid-transfer.
    const slot = built.signed.release.slots['background']!;
    const churn = (async () => {
      for (let i = 0; i < 15; i++) {
        const c = await RawConn.open(server, i % 2 ? 'ws' : 'tcp');
        c.hello({ clientId: `churn-${i}`, seq: 1 });
        await c.next('welcome');
        c.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: slot.chunks.length });
        await new Promise((r) => setTimeout(r, 10));
        c.close();
      }
    })();
    expect((await room.publish(built)).status).toBe(201);
    await churn;
    await Promise.all(steady.map((c) => c.waitForSeq(2, 10_000)));
    expect(steady.every((c) => c.client.status().slots['background']?.sha256 === slot.sha256)).toBe(true);
  });
});
