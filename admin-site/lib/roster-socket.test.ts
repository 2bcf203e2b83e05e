// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import type { Roster } from '../../protocol/messages.ts';
import { openRosterSocket, type SocketState } from './roster-socket.ts';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { RawConn, TestRoom, startTestServer } from '../../signaling/testing/helpers.ts';

const servers: WebSocketServer[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function server(onHello: (socket: WebSocket, hello: unknown) => void): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (socket) =>
    socket.once('message', (data) => onHello(socket, JSON.parse(String(data)))),
  );
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`;
}

const welcome = (clientId: string) =>
  JSON.stringify({
    type: 'welcome',
    clientId,
    room: 'demo',
    seq: 1,
    heartbeatMs: 10_000,
    maxFrameBytes: 1 << 20,
    serverTime: new Date().toISOString(),
  });
const roster = (seq: number) =>
  JSON.stringify({ type: 'roster', room: 'demo', seq, at: new Date().toISOString(), clients: [] });

describe('openRosterSocket (real WebSocket server)', () => {
  it('says hello as an admin, hands on valid rosters only, and reconnects after a drop', async () => {
    const hellos: unknown[] = [];
    let connections = 0;
    const url = await server((socket, hello) => {
      hellos.push(hello);
      connections++;
      socket.send(welcome(`admin-${connections}`));
      socket.send('{"type":"roster","room":"demo"}'); // junk: dropped
      socket.send(
        JSON.stringify({ type: 'roster', room: 'other', seq: 9, at: new Date().toISOString(), clients: [] }),
      );
      socket.send(roster(connections));
      if (connections === 1) setTimeout(() => socket.close(4000, 'test drop'), 50);
    });
    const rosters: Roster[] = [];
    const states: SocketState[] = [];
    const close = openRosterSocket({
      url,
      room: 'demo',
      key: await generateSigningKey(),
      onRoster: (r) => rosters.push(r),
      onState: (s) => states.push(s),
      createSocket: (u) => new WebSocket(u) as unknown as globalThis.WebSocket,
      random: () => 0,
    });
    await expect.poll(() => rosters.length, { timeout: 5000 }).toBe(2);
    close();
    expect(rosters.map((r) => r.seq)).toEqual([1, 2]);
    expect(hellos[0]).toMatchObject({ type: 'hello', v: 1, room: 'demo', role: 'admin', seq: 0 });
    expect(states.map((s) => s.kind)).toEqual([
      'connecting',
      'open',
      'waiting',
      'connecting',
      'open',
      'closed',
    ]);
  });

  it('signs the relay challenge with the room key it holds, and only then gets the roster', async () => {
    const relay = await startTestServer();
    try {
      const room = await TestRoom.create(relay.url);
      const player = await RawConn.open(relay, 'ws');
      player.hello({ clientId: 'p1', seq: 1 });
      await player.next('welcome');
      const url = `ws://${relay.host}:${relay.httpPort}/ws`;
      const open = (key: Awaited<ReturnType<typeof generateSigningKey>>) => {
        const rosters: Roster[] = [];
        const errors: string[] = [];
        const close = openRosterSocket({
          url,
          room: 'test',
          key,
          onRoster: (r) => rosters.push(r),
          onState: () => {},
          onError: (code) => errors.push(code),
          createSocket: (u) => new WebSocket(u) as unknown as globalThis.WebSocket,
        });
        return { rosters, errors, close };
      };
      const stranger = open(await generateSigningKey());
      await expect.poll(() => stranger.errors, { timeout: 5000 }).toEqual(['NOT_AUTHORIZED']);
      expect(stranger.rosters).toEqual([]);
      stranger.close();
      const admin = open(room.key);
      await expect.poll(() => admin.rosters.length, { timeout: 5000 }).toBeGreaterThan(0);
      expect(admin.rosters[0]!.clients.some((c) => c.clientId === 'p1')).toBe(true);
      admin.close();
      player.close();
    } finally {
      await relay.dispose();
    }
  });
});
