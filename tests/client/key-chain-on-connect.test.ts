/**
 * The key chain on (re)connect: the relay's `welcome` says the version of the newest key-set record
 * it holds (`rotationVersion`, 0 for none), and a player whose trust stands there already doesn't
 * fetch the chain (`GET /api/rooms/:room/keys`) — after a relay restart, a thousand players would
 * each fetch an unchanged chain as they come back. One that is behind still fetches, and moves on.
 * The chain comes from the relay the player is connected to (after a failover, the one it moved
 * to), so that relay's word spares the fetch as well — unless the player has no HTTP address for it
 * (no `servers`): then the chain comes from the first address, and only that relay's word counts.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NodePlayer, tcpTransport } from '../../player/node/index.ts';
import { fetchRotations } from '../../player/core/trust.ts';
import { buildRelease } from '../../publisher/build.ts';
import { configBytes, generateSigningKey, type Welcome } from '../../protocol/index.ts';
import { keySetRecord } from '../../signaling/testing/key-sets.ts';
import {
  RawConn,
  startTestServer,
  TestRoom,
  until,
  type TestServer,
} from '../../signaling/testing/helpers.ts';
import { ApiPath } from '../../protocol/http.ts';

const ROOM = 'chain';
let server: TestServer | null = null;
const players: NodePlayer[] = [];

afterEach(async () => {
  for (const p of players.splice(0)) p.close();
  await server?.dispose();
  server = null;
});

async function welcomeOf(s: TestServer): Promise<Welcome> {
  const raw = await RawConn.open(s, 'tcp');
  raw.hello({ clientId: 'watcher', room: ROOM, seq: 0 });
  const welcome = (await raw.next('welcome')) as Welcome;
  raw.close();
  return welcome;
}

async function rotate(s: TestServer, record: unknown): Promise<void> {
  const res = await fetch(s.url + ApiPath.keys(ROOM), { method: 'POST', body: JSON.stringify(record) });
  expect(res.status).toBeLessThan(300);
}

describe('the key chain when a player connects', () => {
  it('is fetched only when the relay holds a newer key set than the player trusts', async () => {
    server = await startTestServer();
    const room = await TestRoom.create(server.url, ROOM);
    let fetches = 0;
    const accept = () => ({ status: 'applied' as const });
    const player = new NodePlayer({
      room: ROOM,
      publicKey: room.key.publicKey,
      server: server.url,
      connect: tcpTransport('127.0.0.1', server.tcpPort),
      handlers: { script: accept, texture: accept, config: accept },
      fps: 0,
      fetchRotations: () => {
        fetches++;
        return fetchRotations(server!.url, ROOM);
      },
    });
    players.push(player);
    // A room that never rotated: nothing to fetch.
    expect((await welcomeOf(server)).rotationVersion).toBe(0);
    await player.start();
    await player.waitForSeq(1);
    expect(fetches).toBe(0);

    // Rotated to a second key; a release by that key makes the player look (and follow).
    const next = await generateSigningKey();
    await rotate(server, await keySetRecord(ROOM, 2, [room.key, next], [room.key, next]));
    expect((await welcomeOf(server)).rotationVersion).toBe(2);
    const theme = (colour: string, version: string) => ({
      theme: { kind: 'config' as const, bytes: configBytes({ background: colour }), version },
    });
    const byNext = await buildRelease({
      room: ROOM,
      key: next,
      previous: server.relay.latest(ROOM)!.release,
      slots: theme('#020202', '2'),
    });
    expect((await room.publish(byNext)).status).toBe(201);
    await player.waitForSeq(2);
    // (Twice: for the unknown key, and once it was taken, for the change of signer.)
    await until(() => fetches === 2, 2_000);

    // A restart: the player comes back at version 2 of 2, and doesn't fetch.
    const restart = async () => {
      const { dataDir, httpPort, tcpPort } = server!;
      await server!.close({ retryAfterMs: 50 });
      await until(() => player.client.status().mode === 'offline', 2_000);
      server = await startTestServer({ dataDir, httpPort, tcpPort });
      await until(() => player.client.status().mode === 'relay', 5_000);
      await new Promise((r) => setTimeout(r, 200)); // (a fetch would have started at the welcome)
    };
    await restart();
    expect(fetches).toBe(2);

    // Rotated again while connected (the relay tells no one): the next connection fetches.
    const third = await generateSigningKey();
    await rotate(server!, await keySetRecord(ROOM, 3, [next, third], [next, third]));
    await restart();
    // (At least once: a fetch on a pooled HTTP connection to the old relay fails, and the next
    // connection looks again.)
    await until(() => fetches >= 3, 2_000);
  });

  it('is fetched from the relay the player failed over to, not from its first (dead) address', async () => {
    const dead = await startTestServer();
    const [deadUrl, deadTcp] = [dead.url, dead.tcpPort];
    await dead.dispose();
    server = await startTestServer();
    const room = await TestRoom.create(server.url, ROOM);
    // Rotated to a second key, which signs the latest release: only a player that walked the chain
    // served by this relay trusts it.
    const next = await generateSigningKey();
    await rotate(server, await keySetRecord(ROOM, 2, [room.key, next], [room.key, next]));
    const byNext = await buildRelease({
      room: ROOM,
      key: next,
      previous: server.relay.latest(ROOM)!.release,
      slots: { theme: { kind: 'config', bytes: configBytes({ background: '#030303' }), version: '2' } },
    });
    expect((await room.publish(byNext)).status).toBe(201);
    const accept = () => ({ status: 'applied' as const });
    const player = new NodePlayer({
      room: ROOM,
      publicKey: room.key.publicKey,
      server: deadUrl,
      servers: [deadUrl, server.url],
      connect: [tcpTransport('127.0.0.1', deadTcp), tcpTransport('127.0.0.1', server.tcpPort)],
      handlers: { script: accept, texture: accept, config: accept },
      fps: 0,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    players.push(player);
    await player.start();
    await player.waitForSeq(2, 5_000);
    expect(player.client.currentServer()).toBe(server.url);
    expect(player.client.status().lastError).toBeNull();
  });

  it("without an HTTP address for its second relay, fetches whatever that relay's welcome says", async () => {
    server = await startTestServer();
    const room = await TestRoom.create(server.url, ROOM);
    const s = server;
    // A room that never rotated: the welcome says 0, which any trust holds.
    expect((await welcomeOf(s)).rotationVersion).toBe(0);
    const accept = () => ({ status: 'applied' as const });
    const fetches = { first: 0, second: 0 };
    const player = (which: keyof typeof fetches, connect: ReturnType<typeof tcpTransport>[]) => {
      const p = new NodePlayer({
        room: ROOM,
        publicKey: room.key.publicKey,
        server: s.url,
        connect,
        handlers: { script: accept, texture: accept, config: accept },
        fps: 0,
        fetchRotations: () => {
          fetches[which]++;
          return fetchRotations(s.url, ROOM);
        },
      });
      players.push(p);
      return p;
    };
    const live = tcpTransport('127.0.0.1', s.tcpPort);
    // On its first address: the welcome's word spares the fetch.
    const onFirst = player('first', [live]);
    // Its first address down, on the second, no `servers`: the chain would come from the first
    // address, so the second relay's welcome is not taken at its word.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const deadPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const onSecond = player('second', [tcpTransport('127.0.0.1', deadPort), live]);
    await Promise.all([onFirst.start(), onSecond.start()]);
    await Promise.all([onFirst.waitForSeq(1), onSecond.waitForSeq(1)]);
    await until(() => fetches.second >= 1, 2_000);
    expect(fetches.first).toBe(0);
  });
});
