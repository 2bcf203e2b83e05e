/**
 * What one client can make the relay hold or do: roster slots, per-room state for rooms that don't
 * exist, `peers.get` answers, frame and hello sizes, pipelined `blob.get`s. Each bounded, each over
 * both transports where it applies.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect as netConnect } from 'node:net';
import { BlobAssembler, ErrorCode, FrameDecoder, sha256Hex, utf8 } from '../protocol/index.ts';
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
import { MAX_ROSTER_SLOTS, RosterEntry } from './hub/roster.ts';

describe.each<TransportName>(['ws', 'tcp'])('over %s', (transport) => {
  let server: TestServer;
  let room: TestRoom;
  const open: RawConn[] = [];

  const connect = async () => {
    const c = await RawConn.open(server, transport);
    open.push(c);
    return c;
  };

  beforeEach(async () => {
    server = await startTestServer({ hub: { rosterIntervalMs: 20 } });
    room = await TestRoom.create(server.url);
  });

  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await server.dispose();
  });

  it('welcome tells the largest frame the relay accepts from the client, and that is what it takes', async () => {
    const limit = 1024 * 1024;
    const c = await connect();
    c.hello({ seq: 1 });
    expect((await c.next('welcome')).maxFrameBytes).toBe(limit);
    // A heartbeat padded (unknown fields are ignored) to exactly the limit, then one byte more.
    const padded = (bytes: number) => {
      const head = '{"type":"heartbeat","pad":"';
      return utf8(head + 'x'.repeat(bytes - head.length - 2) + '"}');
    };
    c.sendBody(padded(limit));
    c.send({ type: 'peers.get' });
    await c.next('peers');
    expect(c.messages.some((m) => m.type === 'error')).toBe(false);
    c.sendBody(padded(limit + 1));
    const ended = await c.waitEnd();
    if (transport === 'tcp') {
      expect(await c.next('error')).toMatchObject({ code: ErrorCode.FRAME_TOO_LARGE, fatal: true });
    } else expect(ended.code).toBe(1009);
  });

  describe('swarm peers', () => {
    const joinSwarm = async (n: number, prefix: string) => {
      const conns = await Promise.all(Array.from({ length: n }, () => connect()));
      registerPeerIds(server, ...conns.map((_, i) => `${prefix}-peer-${i}`));
      conns.forEach((c, i) => c.hello({ clientId: `${prefix}${i}`, peerId: `${prefix}-peer-${i}`, seq: 1 }));
      await Promise.all(conns.map((c) => c.next('welcome')));
      return conns.map((_, i) => `${prefix}-peer-${i}`);
    };

    it('welcome and peers carry a random sample of the swarm, not the newest members', async () => {
      const members = await joinSwarm(80, 'm');
      const samples: string[][] = [];
      for (let i = 0; i < 4; i++) {
        const c = await connect();
        c.hello({ clientId: `newcomer${i}`, seq: 1 });
        samples.push((await c.next('welcome')).peers ?? []);
        c.send({ type: 'peers.get' });
        samples.push((await c.next('peers')).peers);
      }
      for (const sample of samples) {
        expect(new Set(sample).size).toBe(sample.length);
        for (const id of sample) expect(members).toContain(id);
      }
      expect(samples.map((s) => s.length)).toEqual([32, 64, 32, 64, 32, 64, 32, 64]);
      // 32 of 80 or 64 of 80: the same set twice is as likely as winning a lottery.
      expect(new Set(samples.map((s) => [...s].sort().join())).size).toBe(samples.length);
      const seen = new Set(samples.flat());
      expect(seen.size).toBeGreaterThan(64);
    });

    it('a member is never offered itself, and one that left is offered no more', async () => {
      const conns = await Promise.all([connect(), connect(), connect()]);
      registerPeerIds(server, 's-peer-0', 's-peer-1', 's-peer-2');
      conns.forEach((c, i) => c.hello({ clientId: `s${i}`, peerId: `s-peer-${i}`, seq: 1 }));
      await Promise.all(conns.map((c) => c.next('welcome')));
      conns[1]!.close();
      await new Promise((r) => setTimeout(r, 100));
      conns[0]!.send({ type: 'peers.get' });
      expect((await conns[0]!.next('peers')).peers).toEqual(['s-peer-2']);
    });

    it('draws at most one sample per second for a connection, answering others with the last', async () => {
      const members = await joinSwarm(10, 'r');
      const c = await connect();
      c.hello({ clientId: 'asker', seq: 1 });
      await c.next('welcome');
      c.send({ type: 'peers.get' });
      expect((await c.next('peers')).peers.sort()).toEqual([...members].sort());
      const late = await connect();
      registerPeerIds(server, 'late-peer');
      late.hello({ clientId: 'late', peerId: 'late-peer', seq: 1 });
      await late.next('welcome');
      for (let i = 0; i < 50; i++) c.send({ type: 'peers.get' });
      c.send({ type: 'heartbeat' });
      await new Promise((r) => setTimeout(r, 100));
      const answers = c.messages.flatMap((m) => (m.type === 'peers' ? [m.peers] : []));
      for (const a of answers) expect(a).not.toContain('late-peer');
      await new Promise((r) => setTimeout(r, 1000));
      c.send({ type: 'peers.get' });
      expect((await c.next('peers', (m) => m.peers.includes('late-peer'))).peers.length).toBe(11);
    });
  });

  describe('the roster', () => {
    const slotsOf = (clientId: string) =>
      server.hub.rosterOf('test').clients.find((c) => c.clientId === clientId)?.slots ?? {};

    it('records acks and held slots only for slots of the room, and counts the others as bad', async () => {
      const logic = room.latest!.release.slots['logic']!;
      const c = await connect();
      c.hello({
        clientId: 'p1',
        seq: 1,
        slots: {
          logic: { version: logic.version, sha256: logic.sha256 },
          made_up: { version: '1', sha256: logic.sha256 },
        },
      });
      await c.next('welcome');
      expect(Object.keys(slotsOf('p1'))).toEqual(['logic']);

      const ack = (slot: string, seq = 1) => ({
        type: 'ack',
        seq,
        slot,
        version: '1',
        sha256: logic.sha256,
        status: 'applied',
      });
      c.send(ack('theme'));
      for (let i = 0; i < 5; i++) c.send(ack(`junk-${i}`));
      await c.next('error', (e) => e.message.includes('junk-4'));
      expect(c.messages.filter((m) => m.type === 'error').length).toBe(5);
      expect(Object.keys(slotsOf('p1')).sort()).toEqual(['logic', 'theme']);

      // A flood of distinct names ends the connection once the bad-message budget is spent.
      for (let i = 5; i < 1000; i++) c.send(ack(`junk-${i}`));
      expect(await c.next('error', (e) => e.fatal === true)).toMatchObject({ code: ErrorCode.BAD_MESSAGE });
      await c.waitEnd();
    });

    it('takes an ack for a slot the latest release dropped, when the ack names the release that had it', async () => {
      const theme = room.latest!.release.slots['theme']!;
      // seq 2 has no theme slot; a client still on seq 1 acks it.
      const built = await room.build({ slots: {}, remove: ['theme'] });
      expect((await room.publish(built)).status).toBe(201);
      const c = await connect();
      c.hello({ clientId: 'p2', seq: 1 });
      await c.next('welcome');
      const ack = (seq: number) => ({
        type: 'ack',
        seq,
        slot: 'theme',
        version: theme.version,
        sha256: theme.sha256,
        status: 'applied',
      });
      c.send(ack(2));
      expect(await c.next('error')).toMatchObject({ code: ErrorCode.BAD_MESSAGE });
      c.send(ack(1));
      c.send({ type: 'heartbeat' });
      await new Promise((r) => setTimeout(r, 100));
      expect(c.messages.filter((m) => m.type === 'error').length).toBe(1);
      expect(slotsOf('p2')['theme']).toMatchObject({ seq: 1, status: 'applied' });
    });
  });
});

describe('rooms that do not exist', () => {
  let server: TestServer;
  afterEach(async () => {
    await server.dispose();
  });

  it('blob.get in ever-new rooms leaves nothing behind', async () => {
    server = await startTestServer();
    const room = await TestRoom.create(server.url);
    const sha = room.latest!.release.slots['logic']!.sha256;
    for (let i = 0; i < 50; i++) {
      const c = await RawConn.open(server, 'tcp');
      c.hello({ room: `nowhere-${i}` });
      await c.next('welcome');
      c.send({ type: 'blob.get', sha256: sha, from: 0, count: 1 });
      expect(await c.next('error')).toMatchObject({ code: ErrorCode.BLOB_MISSING });
      c.close();
    }
    const c = await RawConn.open(server, 'tcp');
    c.hello({ room: 'test' });
    c.send({ type: 'blob.get', sha256: sha, from: 0, count: 1 });
    expect((await c.next('blob')).sha256).toBe(sha);
    c.close();
    await until(() => server.hub.size === 0);
    // No map anywhere in the hub (or what it holds) is keyed by one of those room names.
    const keys = mapKeysIn(server.hub);
    expect(keys).toContain('test');
    expect(keys.filter((k) => k.startsWith('nowhere-'))).toEqual([]);
  });
});

/** The string keys of every Map reachable from `root` through own properties (a leak detector). */
function mapKeysIn(root: unknown): string[] {
  const keys: string[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown, depth: number): void => {
    if (typeof value !== 'object' || value === null || seen.has(value) || depth > 6) return;
    if (ArrayBuffer.isView(value)) return;
    seen.add(value);
    if (value instanceof Map) {
      for (const [k, v] of value) {
        if (typeof k === 'string') keys.push(k);
        walk(v, depth + 1);
      }
      return;
    }
    const values: unknown[] =
      value instanceof Set || Array.isArray(value) ? [...value] : Object.values(value);
    for (const v of values) walk(v, depth + 1);
  };
  walk(root, 0);
  return keys;
}

describe('pipelined blob.get', () => {
  let server: TestServer;
  const open: RawConn[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    await server.dispose();
  });

  it.each<TransportName>(['ws', 'tcp'])(
    'over %s, requests past the queue limit get a non-fatal TOO_SLOW, and the blob still comes whole',
    async (transport) => {
      server = await startTestServer({
        hub: { outbox: { windowBytes: 256 * 1024, maxQueuedBytes: 1024 * 1024, dropAfterMs: 30_000 } },
      });
      const room = await TestRoom.create(server.url);
      const built = await room.build({
        slots: {
          big: { kind: 'texture', mime: 'image/png', bytes: await bigPngBytes(2_000_000), version: '1' },
        },
      });
      expect((await room.publish(built)).status).toBe(201);
      const slot = built.signed.release.slots['big']!;
      const chunks = slot.chunks.length;
      expect(chunks).toBeGreaterThan(20);

      const c = await RawConn.open(server, transport);
      open.push(c);
      c.hello({ seq: 2 });
      await c.next('welcome');
      // Every chunk, ten times over, in one burst: ~20 MiB of answers for a 1 MiB queue.
      for (let round = 0; round < 10; round++)
        for (let i = 0; i < chunks; i++) c.send({ type: 'blob.get', sha256: slot.sha256, from: i, count: 1 });
      c.send({ type: 'heartbeat' });
      await c.next('error', (e) => e.code === ErrorCode.TOO_SLOW);
      await new Promise((r) => setTimeout(r, 500));
      expect(c.isEnded).toBe(false);
      const errors = c.messages.flatMap((m) => (m.type === 'error' ? [m] : []));
      expect(errors.every((e) => e.code === ErrorCode.TOO_SLOW && e.fatal === undefined)).toBe(true);

      // Ask again, one at a time, for whatever was refused: the blob comes whole.
      const assembler = new BlobAssembler(slot);
      const have = new Set<number>();
      for (const m of c.messages) {
        if (m.type === 'blob' && !have.has(m.index)) {
          have.add(m.index);
          expect((await assembler.add(m.index, chunkBytes(m))).ok).toBe(true);
        }
      }
      for (let i = 0; i < chunks; i++) {
        if (have.has(i)) continue;
        c.send({ type: 'blob.get', sha256: slot.sha256, from: i, count: 1 });
        const chunk = await c.next('blob', (m) => m.index === i);
        expect((await assembler.add(i, chunkBytes(chunk))).ok).toBe(true);
      }
      const whole = await assembler.assemble();
      expect(whole.ok && (await sha256Hex(whole.value))).toBe(slot.sha256);
      expect(c.isEnded).toBe(false);
    },
  );
});

describe('the seed hello', () => {
  let server: TestServer;
  afterEach(async () => {
    await server.dispose();
  });

  /** Sends `hello` in one write; resolves with the frames the relay sent and whether it closed. */
  const seedHello = (hello: string) =>
    new Promise<{ frames: unknown[]; closed: boolean }>((resolve, reject) => {
      const frames: unknown[] = [];
      const decoder = new FrameDecoder({ maxFrameBytes: 64 * 1024 * 1024 });
      const socket = netConnect({ host: server.host, port: server.tcpPort }, () => socket.write(hello));
      const done = (closed: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ frames, closed });
      };
      const timer = setTimeout(() => done(false), 1_000);
      socket.on('data', (chunk: Buffer) => {
        for (const f of decoder.push(chunk)) frames.push(f.ok ? f.value : f);
      });
      socket.on('close', () => done(true));
      socket.on('error', reject);
    });
  const helloOf = (bytes: number) => {
    const head = '{"type":"client_info","version":"1.0.0","platform":"Pygame Client","pad":"';
    return head + 'P'.repeat(bytes - head.length - 2) + '"}';
  };

  it('is refused over 8 KiB even when it arrives in one piece', async () => {
    server = await startTestServer({ hub: { seedRoom: 'test' } });
    await TestRoom.create(server.url);
    const ok = await seedHello(helloOf(8 * 1024));
    expect(ok.closed).toBe(false);
    expect(ok.frames[0]).toMatchObject({ type: 'initial_config' });
    const big = await seedHello(helloOf(8 * 1024 + 1));
    expect(big.closed).toBe(true);
    expect(big.frames).toEqual([expect.objectContaining({ type: 'error', code: ErrorCode.BAD_MESSAGE })]);
  });
});

describe('a roster entry', () => {
  it(`keeps at most ${MAX_ROSTER_SLOTS} slots, the most recently recorded`, () => {
    const entry = new RosterEntry('c', 'test', 'player', 'tcp', '', '127.0.0.1', 0);
    for (let i = 0; i < 100; i++) {
      entry.ack({
        type: 'ack',
        seq: 1,
        slot: `s${i}`,
        version: '1',
        sha256: 'a'.repeat(64),
        status: 'applied',
      });
    }
    const names = Object.keys(entry.toJSON().slots);
    expect(names.length).toBe(MAX_ROSTER_SLOTS);
    expect(names.at(-1)).toBe('s99');
  });
});
