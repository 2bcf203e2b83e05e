// @vitest-environment node
/**
 * `patchcast play --p2p`: headless players (the Node adapter's `NodePlayer` with the swarm on
 * node-datachannel), the real relay (its PeerJS server, its `blob.defer` policy), real WebRTC between
 * them. Runs inside the test runner's loopback-only network namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodePlayer, openNodePeer, signalingFor, tcpTransport } from '../../player/node/index.ts';
import { PeerMesh } from '../../player/swarm/peerjs.ts';
import { Swarm } from '../../player/swarm/swarm.ts';
import type { ConnectTransport } from '../../player/core/transport.ts';
import type { Message } from '../../protocol/index.ts';
import { bigPngBytes, startTestServer, TestRoom, type TestServer } from '../../signaling/testing/helpers.ts';

let server: TestServer;
let room: TestRoom;

beforeAll(async () => {
  // The relay's uplink is 1 MB/s: a copy of a 1 MB patch to each of 5 players would take 5 s, so the
  // relay is the bottleneck and defers to the swarm (unlimited, it serves at once: egress.test.ts).
  server = await startTestServer({ hub: { egressBytesPerSecond: 1 << 20 } });
  room = await TestRoom.create(server.url, 'swarm');
});

afterAll(async () => {
  await server.dispose();
});

function p2pPlayer(i: number): NodePlayer {
  // Delivery is under test: the players accept what verifies (no sandbox workers).
  const accept = () => ({ status: 'applied' as const });
  return new NodePlayer({
    room: 'swarm',
    publicKey: room.key.publicKey,
    server: server.url,
    connect: tcpTransport('127.0.0.1', server.tcpPort),
    clientId: `p2p-${i}`,
    handlers: { script: accept, texture: accept, config: accept },
    p2p: {},
  });
}

describe('patchcast play --p2p (headless players in a swarm)', () => {
  it('links at once to a relay that may defer, and spreads a 1 MB texture mostly peer to peer; the relay sends about one copy', async () => {
    const players = [0, 1, 2, 3, 4].map(p2pPlayer);
    const traffic = (p: NodePlayer) => p.client.status();
    try {
      await Promise.all(players.map((p) => p.start()));
      await Promise.all(players.map((p) => p.waitForSeq(1)));
      // The relay has an egress limit: its welcome says it may defer (`defers`), so the players link
      // now rather than at its first `blob.defer`.
      await until(() => players.every((p) => traffic(p).peers >= 2), 15_000);
      const before = players.map(traffic);
      const texture = await bigPngBytes(1 << 20);
      const built = await room.build({
        slots: { background: { kind: 'texture', mime: 'image/png', bytes: texture, version: '2.0.0' } },
      });
      const res = await room.publish(built);
      expect(res.status).toBe(201);
      await Promise.all(players.map((p) => p.waitForSeq(2, 30_000)));
      const after = players.map(traffic);
      const relay = after.reduce((s, t, i) => s + t.bytesFromRelay - before[i]!.bytesFromRelay, 0);
      const peers = after.reduce((s, t, i) => s + t.bytesFromPeers - before[i]!.bytesFromPeers, 0);
      expect(relay + peers).toBeGreaterThanOrEqual(5 * texture.length);
      expect(relay).toBeLessThanOrEqual(2 * texture.length);
      expect(peers).toBeGreaterThan(2.5 * texture.length);
      expect(after.every((t) => t.peers >= 1)).toBe(true);
      for (const p of players) {
        expect(p.client.status().slots['background']?.sha256).toBe(
          built.signed.release.slots['background']?.sha256,
        );
      }
    } finally {
      for (const p of players) p.close();
    }
  });

  it('bans a peer that passes on a forged release (the core does it, for Node as for pages)', async () => {
    const player = p2pPlayer(5);
    // A lying peer: the real swarm code on a node-datachannel peer, passing on a release it never checked.
    const liar = await openNodePeer(signalingFor(server.url), 'pc-liar000000000000001');
    const liarSwarm = new Swarm({ relay: null });
    const liarMesh = new PeerMesh(liar, liarSwarm, { requestPeers: () => {} });
    try {
      await player.start();
      await player.waitForSeq(1);
      liarMesh.offer([player.swarm!.id]);
      await until(() => player.swarm!.info().peers.includes(liar.id), 15_000);
      // The liar's end opens on its own time: announce only once it has the link too.
      await until(() => liarSwarm.peerIds().includes(player.swarm!.id), 15_000);
      const latest = room.latest!;
      const forged = { ...latest, release: { ...latest.release, seq: latest.release.seq + 5 } };
      const refused: string[] = [];
      player.client.on('refused', (d) => refused.push(d.code));
      liarSwarm.announce(forged);
      await until(() => !player.swarm!.info().peers.includes(liar.id), 10_000);
      expect(refused).toContain('BAD_SIGNATURE');
      expect(player.swarm!.info().peersDropped).toBeGreaterThanOrEqual(1);
      expect(player.client.status().seq).toBe(latest.release.seq);
      // Banned: it is not taken back when it dials again.
      liarMesh.offer([player.swarm!.id]);
      await new Promise((r) => setTimeout(r, 500));
      expect(player.swarm!.info().peers).not.toContain(liar.id);
    } finally {
      liarMesh.stop();
      liarSwarm.close();
      liar.destroy();
      player.close();
    }
  });
});

describe('patchcast play --p2p with a relay that serves at once (no egress limit)', () => {
  it('costs the relay what relay-only players do: no PeerJS socket, no link, the same messages; every chunk from the relay', async () => {
    const open = await startTestServer();
    const openRoom = await TestRoom.create(open.url, 'swarm');
    const accept = () => ({ status: 'applied' as const });
    /** What each group of players sent the relay, by message type. */
    const sent = { swarm: new Map<string, number>(), relay: new Map<string, number>() };
    const gets: Message[] = [];
    const counting =
      (connect: ConnectTransport, into: Map<string, number>): ConnectTransport =>
      (handlers) => {
        const transport = connect(handlers);
        const send = (m: Message) => {
          into.set(m.type, (into.get(m.type) ?? 0) + 1);
          if (into === sent.swarm && m.type === 'blob.get') gets.push(m);
          return transport.send(m);
        };
        return { ...transport, send };
      };
    const player = (i: number, swarm: boolean) =>
      new NodePlayer({
        room: 'swarm',
        publicKey: openRoom.key.publicKey,
        server: open.url,
        connect: counting(tcpTransport('127.0.0.1', open.tcpPort), swarm ? sent.swarm : sent.relay),
        clientId: `open-${swarm ? 's' : 'r'}-${i}`,
        handlers: { script: accept, texture: accept, config: accept },
        ...(swarm ? { p2p: {} } : {}),
      });
    const swarmPlayers = [0, 1, 2, 3].map((i) => player(i, true));
    const relayPlayers = [0, 1, 2, 3].map((i) => player(i, false));
    const players = [...swarmPlayers, ...relayPlayers];
    const links = () => swarmPlayers.map((p) => p.swarm!.info().peers.length);
    const peerjsSockets = async () => (await open.metrics.peerjsSocketsTotal.get()).values[0]?.value ?? 0;
    const relayConnections = async () =>
      (await open.metrics.connectionsTotal.get()).values.reduce((sum, v) => sum + v.value, 0);
    try {
      await Promise.all(players.map((p) => p.start()));
      await Promise.all(players.map((p) => p.waitForSeq(1)));
      await Promise.all(swarmPlayers.map((p) => p.swarm!.settled()));
      // Links on demand, and this relay never defers: PeerJS is not even opened (no signaling
      // socket to hold, no heartbeats), though the id is said in `hello` for when links are wanted.
      expect(swarmPlayers.map((p) => p.swarm!.info().state)).toEqual(['idle', 'idle', 'idle', 'idle']);
      const texture = await bigPngBytes(1 << 20);
      const built = await openRoom.build({
        slots: { background: { kind: 'texture', mime: 'image/png', bytes: texture, version: '2.0.0' } },
      });
      expect((await openRoom.publish(built)).status).toBe(201);
      // Watched all along: not one link, not even for a moment.
      let most = 0;
      const watching = setInterval(() => (most = Math.max(most, ...links())), 10);
      try {
        await Promise.all(players.map((p) => p.waitForSeq(2, 30_000)));
        await new Promise((r) => setTimeout(r, 2000)); // and after: quiet news would go over links
      } finally {
        clearInterval(watching);
      }
      expect(most).toBe(0);
      expect(swarmPlayers.map((p) => p.swarm!.info().state)).toEqual(['idle', 'idle', 'idle', 'idle']);
      // At the relay: not one PeerJS socket, and one relay connection per player (no reconnection
      // to say a new peer id in `hello`).
      expect(await peerjsSockets()).toBe(0);
      expect(await relayConnections()).toBe(players.length);
      // The swarm players said nothing to the relay that relay-only players didn't (no `peers.get`,
      // no `swarm.starved`), and as many of each but chunk requests (the windowed fetch's count
      // depends on how answers arrive).
      for (const [type, count] of sent.swarm) {
        if (type === 'blob.get') continue;
        expect([type, count]).toEqual([type, sent.relay.get(type) ?? 0]);
      }
      // The relay-only player's windowed fetch (a few requests of many chunks), never one chunk
      // at a time with `defer` as the swarm asks.
      expect(gets.length).toBeGreaterThan(0);
      expect(gets.some((m) => m.type === 'blob.get' && m.defer === true)).toBe(false);
      expect(gets.length).toBeLessThan(swarmPlayers.length * 4);
      for (const p of swarmPlayers) {
        expect(p.client.status()).toMatchObject({ peers: 0, bytesFromPeers: 0 });
        expect(p.client.status().bytesFromRelay).toBeGreaterThanOrEqual(texture.length);
      }
    } finally {
      for (const p of players) p.close();
      await open.dispose();
    }
  });
});

async function until(cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}
