/**
 * One suite, run against both relay transports (WebSocket `/ws` and framed TCP): hello/welcome,
 * release on connect and on publish, chunked blobs, acks and heartbeats in the roster, liveness,
 * and the protocol errors every client may make.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobAssembler, ErrorCode, utf8 } from '../protocol/index.ts';
import {
  RawConn,
  TestRoom,
  bigPngBytes,
  chunkBytes,
  registerPeerIds,
  startTestServer,
  until,
  type TestServer,
  type TransportName,
} from './testing/helpers.ts';

describe.each<TransportName>(['ws', 'tcp'])('relay over %s', (transport) => {
  let server: TestServer;
  let room: TestRoom;
  const open: RawConn[] = [];

  const connect = async () => {
    const c = await RawConn.open(server, transport);
    open.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await startTestServer({
      hub: { heartbeatMs: 300, helloTimeoutMs: 400, rosterIntervalMs: 50 },
    });
    room = await TestRoom.create(server.url);
  });

  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await server.dispose();
  });

  it('welcomes a hello and sends the newer release', async () => {
    const c = await connect();
    c.hello({ clientId: 'alice', platform: 'test' });
    const welcome = await c.next('welcome');
    expect(welcome).toMatchObject({ clientId: 'alice', room: 'test', seq: 1 });
    expect(welcome.heartbeatMs).toBe(300);
    const release = await c.next('release');
    expect(release.signed).toEqual(room.latest);
  });

  it('sends no release to a client that holds the latest', async () => {
    const c = await connect();
    c.hello({ seq: 1 });
    await c.next('welcome');
    await new Promise((r) => setTimeout(r, 100));
    expect(c.messages.map((m) => m.type)).toEqual(['welcome']);
  });

  it('gives a duplicate client id a suffix', async () => {
    const a = await connect();
    const b = await connect();
    a.hello({ clientId: 'same' });
    expect((await a.next('welcome')).clientId).toBe('same');
    b.hello({ clientId: 'same' });
    expect((await b.next('welcome')).clientId).toBe('same-2');
  });

  it('serves a blob in chunks that verify against the slot', async () => {
    const big = utf8('x'.repeat(5000) + 'y'.repeat(3000));
    const built = await room.build({
      chunkSize: 1024,
      slots: { logic: { kind: 'script', lang: 'js', bytes: big, version: '2.0.0' } },
    });
    expect((await room.publish(built)).status).toBe(201);
    const slot = built.signed.release.slots['logic']!;
    expect(slot.chunks.length).toBe(8);
    const c = await connect();
    c.hello({ seq: 1 });
    await c.next('release', (m) => m.signed.release.seq === 2);
    c.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: 5 });
    c.send({ type: 'blob.get', sha256: slot.sha256, from: 5, count: 100 });
    const assembler = new BlobAssembler(slot);
    for (let i = 0; i < 8; i++) {
      const chunk = await c.next('blob', (m) => m.index === i);
      expect((await assembler.add(i, chunkBytes(chunk))).ok).toBe(true);
    }
    const whole = await assembler.assemble();
    expect(whole.ok && whole.value).toEqual(big);
  });

  it('sends chunks as binary chunk frames to a client that asks for them, base64 JSON to others', async () => {
    const big = utf8('b'.repeat(3000) + 'c'.repeat(2500));
    const built = await room.build({
      chunkSize: 1024,
      slots: { logic: { kind: 'script', lang: 'js', bytes: big, version: '2.0.0' } },
    });
    expect((await room.publish(built)).status).toBe(201);
    const slot = built.signed.release.slots['logic']!;
    const binary = await connect();
    const json = await connect();
    binary.hello({ clientId: 'bin', seq: 2, binaryChunks: true });
    json.hello({ clientId: 'json', seq: 2 });
    await binary.next('welcome');
    await json.next('welcome');
    for (const c of [binary, json]) c.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: 6 });
    for (const [c, wantsBinary] of [
      [binary, true],
      [json, false],
    ] as const) {
      const assembler = new BlobAssembler(slot);
      for (let i = 0; i < 6; i++) {
        const chunk = await c.next('blob', (m) => m.index === i);
        expect('bytes' in chunk).toBe(wantsBinary);
        expect((await assembler.add(i, chunkBytes(chunk))).ok).toBe(true);
      }
      const whole = await assembler.assemble();
      expect(whole.ok && whole.value).toEqual(big);
    }
  });

  it('answers a request for an unknown blob with a non-fatal error and keeps the connection', async () => {
    const c = await connect();
    c.hello();
    await c.next('welcome');
    c.send({ type: 'blob.get', sha256: 'a'.repeat(64), from: 0, count: 1 });
    const error = await c.next('error');
    expect(error.code).toBe(ErrorCode.BLOB_MISSING);
    expect(error.fatal).toBeUndefined();
    c.send({ type: 'heartbeat' });
    const slot = room.latest!.release.slots['theme']!;
    c.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: 1 });
    expect((await c.next('blob')).sha256).toBe(slot.sha256);
  });

  it('answers peers.get with the swarm members of the room, and lists them in welcome', async () => {
    registerPeerIds(server, 'peer-a', 'peer-b');
    const a = await connect();
    a.hello({ clientId: 'a', peerId: 'peer-a' });
    await a.next('welcome');
    const b = await connect();
    b.hello({ clientId: 'b', peerId: 'peer-b' });
    expect((await b.next('welcome')).peers).toEqual(['peer-a']);
    const c = await connect();
    c.hello({ clientId: 'c' });
    await c.next('welcome');
    c.send({ type: 'peers.get' });
    expect((await c.next('peers')).peers.sort()).toEqual(['peer-a', 'peer-b']);
  });

  it('serves a chunk already served at once, to a client with swarm peers too, while it has room', async () => {
    // No egress limit: the relay is never the bottleneck (the deferral itself: egress.test.ts).
    const slot = room.latest!.release.slots['background']!;
    for (const clientId of ['first', 'second', 'third']) {
      const c = await connect();
      c.hello({ clientId, seq: 1 });
      await c.next('welcome');
      c.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: 1, defer: true });
      expect((await c.next('blob')).index).toBe(0);
      expect(c.messages.some((m) => m.type === 'blob.defer')).toBe(false);
    }
  });

  it('serves a client that said swarm.starved directly, though it asks with defer, until it says otherwise', async () => {
    // A relay that is the bottleneck (64 KiB/s, a 256 KiB texture): else it serves everyone at once.
    await server.dispose();
    server = await startTestServer({ hub: { egressBytesPerSecond: 64 * 1024 } });
    room = await TestRoom.create(server.url);
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
    const first = await connect();
    first.hello({ clientId: 'fed', seq: 2 });
    await first.next('welcome');
    first.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: 1, defer: true });
    await first.next('blob');
    const starved = await connect();
    starved.hello({ clientId: 'starved', seq: 2 });
    await starved.next('welcome');
    starved.send({ type: 'swarm.starved', starved: true });
    for (let i = 0; i < 3; i++) {
      starved.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: 1, defer: true });
      expect((await starved.next('blob')).index).toBe(0);
    }
    starved.send({ type: 'swarm.starved', starved: false });
    starved.send({ type: 'blob.get', sha256: slot.sha256, from: 0, count: 1, defer: true });
    expect((await starved.next('blob.defer')).index).toBe(0);
    expect(starved.messages.some((m) => m.type === 'error')).toBe(false);
  });

  it('pushes a new release to every connected client of the room at once', async () => {
    const conns = await Promise.all([connect(), connect(), connect()]);
    conns.forEach((c, i) => c.hello({ clientId: `p${i}`, seq: 1 }));
    await Promise.all(conns.map((c) => c.next('welcome')));
    const other = await connect();
    other.hello({ room: 'elsewhere' });
    await other.next('welcome');
    const built = await room.publishScript('export function update(b){return b}//2', '2.0.0');
    for (const c of conns) {
      const m = await c.next('release', (r) => r.signed.release.seq === 2, 2_000);
      expect(m.signed).toEqual(built.signed);
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(other.messages.some((m) => m.type === 'release')).toBe(false);
  });

  it('keeps admins up to date with the roster: joins, acks with errors, leaves', async () => {
    const admin = await connect();
    await admin.adminHello(room.key);
    const first = await admin.next('roster');
    expect(first.clients.map((c) => c.clientId)).toEqual(['admin']);

    const player = await connect();
    player.hello({ clientId: 'p1', platform: '<img src=x onerror=alert(1)>', seq: 0 });
    await player.next('release');
    await admin.next('roster', (r) => r.clients.some((c) => c.clientId === 'p1'));
    const slot = room.latest!.release.slots['logic']!;
    player.send({
      type: 'ack',
      seq: 1,
      slot: 'logic',
      version: slot.version,
      sha256: slot.sha256,
      status: 'failed',
      error: 'update() returned NaN',
    });
    const withAck = await admin.next('roster', (r) =>
      r.clients.some((c) => c.clientId === 'p1' && c.lastAck?.status === 'failed'),
    );
    const p1 = withAck.clients.find((c) => c.clientId === 'p1')!;
    expect(p1.platform).toBe('<img src=x onerror=alert(1)>');
    expect(p1.transport).toBe(transport);
    expect(p1.slots['logic']).toMatchObject({ status: 'failed', error: 'update() returned NaN', seq: 1 });
    player.close();
    await admin.next('roster', (r) => !r.clients.some((c) => c.clientId === 'p1'));
  });

  it('records heartbeats and traffic counters', async () => {
    const c = await connect();
    c.hello({ clientId: 'beater', seq: 1 });
    await c.next('welcome');
    c.send({ type: 'heartbeat', t: 1, traffic: { bytesFromRelay: 10, bytesFromPeers: 90, peers: 2 } });
    await until(() => {
      const entry = server.hub.rosterOf('test').clients.find((x) => x.clientId === 'beater');
      return entry?.traffic.bytesFromPeers === 90;
    });
  });

  it('drops a client that goes silent after hello', async () => {
    const c = await connect();
    c.hello({ seq: 1 });
    await c.next('welcome');
    const error = await c.next('error', () => true, 3_000);
    expect(error).toMatchObject({ code: ErrorCode.HEARTBEAT_TIMEOUT, fatal: true });
    const ended = await c.waitEnd();
    if (transport === 'ws') expect(ended.code).toBe(4410);
  });

  it('drops a connection that never says hello', async () => {
    const c = await connect();
    const error = await c.next('error', () => true, 3_000);
    expect(error).toMatchObject({ code: ErrorCode.HELLO_TIMEOUT, fatal: true });
    const ended = await c.waitEnd();
    if (transport === 'ws') expect(ended.code).toBe(4408);
  });

  it('refuses a message before hello', async () => {
    const c = await connect();
    c.send({ type: 'heartbeat' });
    expect(await c.next('error')).toMatchObject({ code: ErrorCode.HELLO_REQUIRED, fatal: true });
    await c.waitEnd();
  });

  it('refuses invalid JSON instead of a hello, with an error and a close', async () => {
    const c = await connect();
    c.sendBody(utf8('{"type": "hello", oops'));
    expect(await c.next('error')).toMatchObject({ code: ErrorCode.BAD_JSON, fatal: true });
    const ended = await c.waitEnd();
    if (transport === 'ws') expect(ended.code).toBe(4400);
  });

  it('refuses invalid UTF-8', async () => {
    const c = await connect();
    c.sendBody(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect(await c.next('error')).toMatchObject({ code: ErrorCode.BAD_UTF8, fatal: true });
    await c.waitEnd();
  });

  it('refuses valid JSON of the wrong shape', async () => {
    const c = await connect();
    c.send({ type: 'hello', v: 1, room: 'NOT A ROOM', role: 'player', clientId: 'x', seq: 0 });
    expect(await c.next('error')).toMatchObject({ code: ErrorCode.BAD_MESSAGE, fatal: true });
    await c.waitEnd();
    const d = await connect();
    d.send([1, 2, 3]);
    expect(await d.next('error')).toMatchObject({ code: ErrorCode.BAD_MESSAGE, fatal: true });
    const e = await connect();
    e.send({ type: 'launch-missiles' });
    expect(await e.next('error')).toMatchObject({ code: ErrorCode.UNKNOWN_TYPE, fatal: true });
  });

  it('after hello, answers bad messages without closing, up to a budget', async () => {
    const c = await connect();
    c.hello({ seq: 1 });
    await c.next('welcome');
    c.sendBody(utf8('not json'));
    expect(await c.next('error')).toMatchObject({ code: ErrorCode.BAD_JSON });
    expect(c.messages.at(-1)).not.toHaveProperty('fatal');
    c.send({ type: 'roster', room: 'test', seq: 1, at: new Date().toISOString(), clients: [] });
    expect(await c.next('error', (e) => e.code === ErrorCode.FORBIDDEN)).toBeTruthy();
    for (let i = 0; i < 12; i++) c.sendBody(utf8('junk'));
    expect(await c.next('error', (e) => e.fatal === true)).toBeTruthy();
    await c.waitEnd();
  });
});
