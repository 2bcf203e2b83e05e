/**
 * Back in two seconds: a relay that shuts down tells its clients when to come back (`error`
 * `SERVER_SHUTDOWN` with `retryAfterMs`); after a real restart on the same ports and data dir, every
 * headless player is connected again and holds the release published right after the restart,
 * within 2 s of the relay being up — and they did not all dial in the same millisecond.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NodePlayer, tcpTransport } from '../../player/node/index.ts';
import { configBytes, ErrorCode, restartSpread } from '../../protocol/index.ts';
import {
  RawConn,
  startTestServer,
  TestRoom,
  until,
  type TestServer,
} from '../../signaling/testing/helpers.ts';

const PLAYERS = 20;
const HINT_MS = 300;

let server: TestServer | null = null;
const players: NodePlayer[] = [];

afterEach(async () => {
  for (const p of players.splice(0)) p.close();
  await server?.dispose();
  server = null;
});

describe('a relay restart', () => {
  it('tells clients when to come back, and they are all back and caught up within 2 s', async () => {
    server = await startTestServer();
    const { dataDir, httpPort, tcpPort } = server;
    const room = await TestRoom.create(server.url, 'restart');
    const accept = () => ({ status: 'applied' as const });
    for (let i = 0; i < PLAYERS; i++) {
      players.push(
        new NodePlayer({
          room: 'restart',
          publicKey: room.key.publicKey,
          server: server.url,
          connect: tcpTransport('127.0.0.1', tcpPort),
          clientId: `back-${i}`,
          handlers: { script: accept, texture: accept, config: accept },
          fps: 0,
        }),
      );
    }
    let up = Infinity;
    const arrivals: number[] = [];
    for (const p of players) {
      p.client.on('connected', () => {
        if (Number.isFinite(up)) arrivals.push(performance.now() - up);
      });
    }
    await Promise.all(players.map((p) => p.start()));
    await Promise.all(players.map((p) => p.waitForSeq(1)));
    const raw = await RawConn.open(server, 'tcp');
    raw.hello({ clientId: 'watcher', room: 'restart', seq: 1 });
    await raw.next('welcome');

    await server.close({ retryAfterMs: HINT_MS });
    const shutdown = await raw.next('error');
    expect(shutdown).toMatchObject({
      code: ErrorCode.SERVER_SHUTDOWN,
      fatal: true,
      retryAfterMs: HINT_MS,
      // Spread by how many it had (the players and the watcher): they come back as fast as it takes them.
      retrySpreadMs: restartSpread(PLAYERS + 1),
    });
    raw.close();
    await until(() => players.every((p) => p.client.status().mode === 'offline'), 2_000);
    // Down for longer than the hint: the players keep dialling, every half second or so.
    await new Promise((r) => setTimeout(r, HINT_MS + 700));

    server = await startTestServer({ dataDir, httpPort, tcpPort });
    up = performance.now();
    const built = await room.build({
      slots: { theme: { kind: 'config', bytes: configBytes({ background: '#010203' }), version: '2' } },
    });
    expect((await room.publish(built)).status).toBe(201);
    await Promise.all(players.map((p) => p.waitForSeq(2, 2_000)));
    const back = performance.now() - up;
    expect(back).toBeLessThan(2_000);
    expect(players.every((p) => p.client.status().mode === 'relay')).toBe(true);
    expect(server.hub.clientCount('restart')).toBe(PLAYERS);
    // Spread by jitter: not one burst.
    expect(arrivals).toHaveLength(PLAYERS);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThan(50);
  });
});
