// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import type { Roster } from '../../protocol/messages.ts';
import { openRosterSocket, type SocketState } from './roster-socket.ts';

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
});
