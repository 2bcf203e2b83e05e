// @vitest-environment node
/**
 * Across relay nodes (real processes on one Redis): an admin on one node sees the players of every
 * node, live, and a dead node's players leave its roster; two PeerJS peers on different nodes form a
 * WebRTC data connection (node-datachannel, loopback only) through signaling routed between the nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Roster } from '../../protocol/index.ts';
import { openNodePeer } from '../../player/node/node-peer.ts';
import { signalingFor } from '../../player/swarm/signaling-address.ts';
import { RawConn, TestRoom, until } from '../testing/helpers.ts';
import { startNode, startRedis, type TestNode, type TestRedis } from '../testing/cluster.ts';
import { PRESENCE_PERIODS, DEFAULT_ROSTER_SHARE_MS } from './roster-share.ts';

let redis: TestRedis;
let nodes: TestNode[];
let room: TestRoom;

const address = (n: TestNode) => ({ host: '127.0.0.1', httpPort: n.httpPort, tcpPort: n.tcpPort });

beforeAll(async () => {
  redis = await startRedis();
  nodes = await Promise.all([0, 1, 2].map(() => startNode(redis.url)));
  room = await TestRoom.create(nodes[0]!.url, 'together');
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.dispose()));
  await redis?.dispose();
}, 30_000);

describe('a cluster shares rosters and PeerJS signaling', () => {
  it("shows an admin on one node every node's players, live, and drops a dead node's", async () => {
    const admin = await RawConn.open(address(nodes[0]!), 'ws');
    await admin.adminHello(room.key, { room: 'together' });
    const players: RawConn[] = [];
    for (const [i, node] of nodes.entries()) {
      const p = await RawConn.open(address(node), i % 2 ? 'tcp' : 'ws');
      p.hello({ room: 'together', clientId: `on-node-${i}`, seq: 1 });
      await p.next('welcome');
      players.push(p);
    }
    const latest = (): Roster | undefined =>
      admin.messages.filter((m): m is Roster => m.type === 'roster').at(-1);
    const ids = () => new Set(latest()?.clients.map((c) => c.clientId));
    await until(
      () => ['on-node-0', 'on-node-1', 'on-node-2'].every((id) => ids().has(id)),
      3_000,
      'every player in the roster',
    );

    // A player leaving node 1 leaves the roster soon after.
    players[1]!.close();
    await until(() => !ids().has('on-node-1'), 2_000, 'the player who left is gone');

    // Node 2 dies: its player leaves the roster once its presence expires.
    const killed = Date.now();
    await nodes[2]!.kill('SIGKILL');
    await until(
      () => !ids().has('on-node-2'),
      PRESENCE_PERIODS * DEFAULT_ROSTER_SHARE_MS + 2_000,
      "the dead node's player is gone",
    );
    expect(Date.now() - killed).toBeLessThan((PRESENCE_PERIODS + 2) * DEFAULT_ROSTER_SHARE_MS);
    expect(ids().has('on-node-0')).toBe(true);
    await nodes[2]!.start();
    for (const p of players) p.close();
    admin.close();
  }, 30_000);

  it('connects two PeerJS peers on different nodes over a WebRTC data channel', async () => {
    const a = await openNodePeer(signalingFor(nodes[0]!.url), 'cross-node-a');
    const b = await openNodePeer(signalingFor(nodes[1]!.url), 'cross-node-b');
    try {
      const received = new Promise<unknown>((done) => {
        b.on('connection', (conn) => conn.on('data', (data) => done(data)));
      });
      const started = performance.now();
      const conn = a.connect('cross-node-b', { reliable: true });
      await new Promise<void>((done, fail) => {
        conn.on('open', () => done());
        conn.on('error', fail);
        a.on('error', fail);
        setTimeout(() => fail(new Error('no data connection in 10 s')), 10_000);
      });
      const openMs = performance.now() - started;
      conn.send('hello across nodes');
      expect(await received).toBe('hello across nodes');
      console.log(`cross-node PeerJS data connection open in ${openMs.toFixed(0)} ms`);
    } finally {
      a.destroy();
      b.destroy();
    }
  }, 30_000);
});
