/**
 * The seed-compatible TCP path, tested with clients that speak exactly the seed's protocol: the
 * seed's own client networking in Python (`testing/seed_client.py`), and a TypeScript one for the
 * finer points (superseding, junk, the roster).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { connect as netConnect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  encodeFrame,
  parseHotUpdate,
  parseInitialConfig,
  sha256Hex,
  configBytes,
  utf8,
  fromBase64,
  type HotUpdate,
  type InitialConfig,
} from '../protocol/index.ts';
import { SEED_PYTHON_SCRIPT } from './hub/seed-defaults.ts';
import { TestRoom, pngBytes, startTestServer, until, type TestServer } from './testing/helpers.ts';

const PY_SCRIPT = `def update_ball_position(ball_x, ball_y, ball_speed_x, ball_speed_y, screen_width, screen_height):
    return ball_x + 2 * ball_speed_x, ball_y, ball_speed_x, ball_speed_y
`;

/** A seed-protocol client in TypeScript: unframed hello, then frames. */
class SeedConn {
  readonly frames: unknown[] = [];
  private readonly decoder = new FrameDecoder({ maxFrameBytes: 64 * 1024 * 1024 });
  private waiters: (() => void)[] = [];
  closed = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.decoder.push(chunk)) if (f.ok) this.frames.push(f.value);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(
    server: TestServer,
    hello: object = { type: 'client_info', version: '1.0.0', platform: 'Pygame Client' },
  ) {
    return new Promise<SeedConn>((resolve, reject) => {
      const socket = netConnect({ host: server.host, port: server.tcpPort }, () => {
        socket.write(JSON.stringify(hello));
        resolve(new SeedConn(socket));
      });
      socket.on('error', reject);
    });
  }

  async frame(index: number, timeoutMs = 5_000): Promise<unknown> {
    const start = Date.now();
    while (this.frames.length <= index) {
      if (this.closed || Date.now() - start > timeoutMs) throw new Error(`no frame ${index}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.frames[index];
  }

  async initial(): Promise<InitialConfig> {
    const parsed = parseInitialConfig(await this.frame(0));
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.value;
  }

  async update(index: number): Promise<HotUpdate> {
    const parsed = parseHotUpdate(await this.frame(index));
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.value;
  }

  send(value: unknown): void {
    this.socket.write(encodeFrame(value));
  }
}

let server: TestServer;
let room: TestRoom;
const sockets: Socket[] = [];

beforeEach(async () => {
  server = await startTestServer({ hub: { seedRoom: 'test', rosterIntervalMs: 20 } });
  room = await TestRoom.create(server.url);
  const built = await room.build({
    slots: { seed: { kind: 'script', lang: 'python', bytes: utf8(PY_SCRIPT), version: '1.0.0' } },
  });
  expect((await room.publish(built)).status).toBe(201);
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server.dispose();
});

async function seed(hello?: object): Promise<SeedConn> {
  const c = await (hello ? SeedConn.open(server, hello) : SeedConn.open(server));
  sockets.push(c.socket);
  return c;
}

describe('seed protocol, TypeScript client', () => {
  it('sends initial_config mapped from the seed, theme and background slots', async () => {
    const c = await seed();
    const initial = await c.initial();
    expect(initial.script_logic).toMatchObject({ content: PY_SCRIPT, version: '1.0.0', enabled: true });
    expect(initial.background_config.background_color).toEqual([0x10, 0x20, 0x30]);
    const image = fromBase64(initial.background_config.background_image ?? '');
    expect(await sha256Hex(image)).toBe(room.latest!.release.slots['background']!.sha256);
  });

  it('counts its heartbeats and ack_updates in the roster as seed-tcp', async () => {
    const c = await seed();
    await c.initial();
    c.send({ type: 'heartbeat', timestamp: Date.now() / 1000 });
    c.send({ type: 'ack_update', update_type: 'background_config', success: false, version: '1.0.0' });
    await until(() => {
      const entry = server.hub.rosterOf('test').clients[0];
      return entry?.lastAck?.status === 'failed';
    });
    const entry = server.hub.rosterOf('test').clients[0]!;
    expect(entry.transport).toBe('seed-tcp');
    expect(entry.platform).toBe('Pygame Client 1.0.0');
    expect(entry.slots['background']).toMatchObject({ status: 'failed', version: '1.0.0' });
  });

  it('sends hot_update only for what changed', async () => {
    const c = await seed();
    await c.initial();
    await room.publish(
      await room.build({
        slots: { theme: { kind: 'config', bytes: configBytes({ background: '#ff0000' }), version: '2' } },
      }),
    );
    const bg = await c.update(1);
    expect(bg.update_type).toBe('background_config');
    expect(bg.update_type === 'background_config' && bg.config.background_color).toEqual([255, 0, 0]);
    await room.publish(
      await room.build({
        slots: {
          seed: { kind: 'script', lang: 'python', bytes: utf8(SEED_PYTHON_SCRIPT), version: '2.0.0' },
        },
      }),
    );
    const script = await c.update(2);
    expect(script).toMatchObject({
      update_type: 'script_logic',
      config: { version: '2.0.0', content: SEED_PYTHON_SCRIPT },
    });
    // A release that changes only the JS logic means nothing to a seed client.
    await room.publishScript('export function update(b){return b}//3', '3.0.0');
    await new Promise((r) => setTimeout(r, 100));
    expect(c.frames.length).toBe(3);
  });

  it("still reads the script of a release published under the slot's former name, `legacy`", async () => {
    const OLD = `${PY_SCRIPT}# published before the slot was renamed\n`;
    const built = await room.build({
      remove: ['seed'],
      slots: { legacy: { kind: 'script', lang: 'python', bytes: utf8(OLD), version: '0.9.0' } },
    });
    expect((await room.publish(built)).status).toBe(201);
    const c = await seed();
    expect((await c.initial()).script_logic).toMatchObject({ content: OLD, version: '0.9.0' });
  });

  it('replaces an unsent initial_config by the newest, for a client that reads late', async () => {
    const c = await seed();
    c.socket.pause();
    const big = await pngBytes(1500, 1500, '#123456');
    await room.publish(
      await room.build({
        slots: { background: { kind: 'texture', mime: 'image/png', bytes: big, version: '2' } },
      }),
    );
    await room.publish(
      await room.build({
        slots: { theme: { kind: 'config', bytes: configBytes({ background: '#00ff00' }), version: '3' } },
      }),
    );
    c.socket.resume();
    const initial = await c.initial();
    // Either the first initial_config left before the publishes (then hot_updates follow) or it was
    // rebuilt: either way the last background the client gets is the newest.
    const frames = [initial, ...(await Promise.all([1, 2].map((i) => c.frame(i, 500).catch(() => null))))];
    const colours = frames.flatMap((f) => {
      const init = parseInitialConfig(f);
      if (init.ok) return [init.value.background_config.background_color];
      const hot = parseHotUpdate(f);
      return hot.ok && hot.value.update_type === 'background_config'
        ? [hot.value.config.background_color]
        : [];
    });
    expect(colours.at(-1)).toEqual([0, 255, 0]);
  });

  it('answers junk frames with an error and keeps the client', async () => {
    const c = await seed();
    await c.initial();
    c.send({ type: 'what' });
    const error = await c.frame(1);
    expect(error).toMatchObject({ type: 'error', code: 'UNKNOWN_TYPE' });
    c.send({ type: 'heartbeat' });
    await new Promise((r) => setTimeout(r, 50));
    expect(c.closed).toBe(false);
  });

  it('refuses seed clients with NO_SEED_ROOM when the operator named no seed room', async () => {
    const bare = await startTestServer();
    try {
      const c = await SeedConn.open(bare);
      expect(await c.frame(0)).toMatchObject({ type: 'error', code: 'NO_SEED_ROOM', fatal: true });
      await until(() => c.closed);
      // The relay goes on serving: a second one is refused the same way, nothing crashed.
      const d = await SeedConn.open(bare);
      expect(await d.frame(0)).toMatchObject({ code: 'NO_SEED_ROOM' });
    } finally {
      await bare.dispose();
    }
  });

  it('closes a seed hello that is not a client_info', async () => {
    const c = await seed({ type: 'something_else' });
    expect(await c.frame(0)).toMatchObject({ type: 'error', code: 'BAD_MESSAGE', fatal: true });
    await until(() => c.closed);
  });
});

const hasPython = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!hasPython)("seed protocol, the seed's own client code (Python)", () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  function runSeedClient(seconds: number) {
    const script = fileURLToPath(new URL('./testing/seed_client.py', import.meta.url));
    const child = spawn('python3', [script, server.host, String(server.tcpPort), String(seconds)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const events: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null) events.push(Object.fromEntries(Object.entries(value)));
    });
    return events;
  }

  it('connects, runs the Python script, loads the PNG, takes hot updates and acks them', async () => {
    const events = runSeedClient(20);
    await until(() => events.some((e) => e['event'] === 'initial_config'), 10_000, 'initial_config');
    expect(events.find((e) => e['event'] === 'script')).toMatchObject({
      version: '1.0.0',
      ball: [406, 300, 3, 2],
    });
    expect(events.find((e) => e['event'] === 'background')).toMatchObject({
      color: [16, 32, 48],
      png: true,
      image_sha256: room.latest!.release.slots['background']!.sha256,
    });
    await until(() => server.hub.rosterOf('test').clients.some((c) => c.transport === 'seed-tcp'));

    await room.publish(
      await room.build({
        slots: {
          seed: { kind: 'script', lang: 'python', bytes: utf8(SEED_PYTHON_SCRIPT), version: '1.1.0' },
        },
      }),
    );
    await until(
      () => events.some((e) => e['event'] === 'script' && e['version'] === '1.1.0'),
      5_000,
      'script 1.1.0',
    );
    expect(events.filter((e) => e['event'] === 'script').at(-1)).toMatchObject({ ball: [409, 302, 3, 2] });
    await until(() => {
      const c = server.hub.rosterOf('test').clients.find((x) => x.transport === 'seed-tcp');
      return c?.slots['seed']?.version === '1.1.0' && c.slots['seed'].status === 'applied';
    });

    const png = await pngBytes(320, 240, '#abcdef');
    await room.publish(
      await room.build({
        slots: { background: { kind: 'texture', mime: 'image/png', bytes: png, version: '2.0.0' } },
      }),
    );
    await until(
      () => events.some((e) => e['event'] === 'background' && e['version'] === '2.0.0'),
      5_000,
      'background 2.0.0',
    );
    expect(events.filter((e) => e['event'] === 'background').at(-1)).toMatchObject({
      image_sha256: await sha256Hex(png),
    });
    const entry = server.hub.rosterOf('test').clients.find((x) => x.transport === 'seed-tcp')!;
    expect(entry.platform).toBe('Pygame Client 1.0.0');
    expect(Date.parse(entry.lastHeartbeat)).toBeGreaterThan(0);
  }, 30_000);
});
