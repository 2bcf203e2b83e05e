// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustKeys } from '../../protocol/index.ts';
import { tcpConnector } from '../client/channel.ts';
import { PatchClient } from '../client/client.ts';
import { bigPngBytes, startTestServer, TestRoom, type TestServer } from '../testing/helpers.ts';
import { openClientSwarm } from './client-swarm.ts';

// Headless clients with the swarm, the real relay (its PeerJS server, its blob.defer policy), real
// WebRTC between them. Runs inside the test runner's loopback-only network namespace.

let server: TestServer;
let room: TestRoom;

beforeAll(async () => {
  server = await startTestServer();
  room = await TestRoom.create(server.url, 'swarm');
});

afterAll(async () => {
  await server.dispose();
});

async function p2pClient(i: number): Promise<PatchClient> {
  const holder: { client: PatchClient | null } = { client: null };
  const swarm = await openClientSwarm({
    signaling: { host: '127.0.0.1', port: server.httpPort, path: '/peerjs' },
    onPeerRelease: (signed) => holder.client?.offerRelease(signed),
  });
  const client = new PatchClient({
    room: 'swarm',
    trustedKeys: await trustKeys([room.key.publicKey]),
    connect: tcpConnector('127.0.0.1', server.tcpPort),
    clientId: `p2p-${i}`,
    swarm,
  });
  holder.client = client;
  return client;
}

describe('patchcast play --p2p (headless clients in a swarm)', () => {
  it('spreads a 1 MB texture mostly peer to peer; the relay sends about one copy', async () => {
    const clients = await Promise.all([0, 1, 2, 3, 4].map(p2pClient));
    try {
      for (const c of clients) await c.start();
      await Promise.all(clients.map((c) => c.waitForSeq(1)));
      // Let the mesh form (each client dials the peers the relay offered in `welcome`).
      await until(() => clients.every((c) => c.traffic().peers >= 2), 15_000);
      const before = clients.map((c) => c.traffic());
      const texture = await bigPngBytes(1 << 20);
      const built = await room.build({
        slots: { background: { kind: 'texture', mime: 'image/png', bytes: texture, version: '2.0.0' } },
      });
      const res = await room.publish(built);
      expect(res.status).toBe(201);
      await Promise.all(clients.map((c) => c.waitForSeq(2, 30_000)));
      const after = clients.map((c) => c.traffic());
      const relay = after.reduce((s, t, i) => s + t.bytesFromRelay - before[i]!.bytesFromRelay, 0);
      const peers = after.reduce((s, t, i) => s + t.bytesFromPeers - before[i]!.bytesFromPeers, 0);
      expect(relay + peers).toBeGreaterThanOrEqual(5 * texture.length);
      expect(relay).toBeLessThanOrEqual(2 * texture.length);
      expect(peers).toBeGreaterThan(2.5 * texture.length);
      for (const c of clients) {
        expect(c.release?.release.slots.background?.sha256).toBe(
          built.signed.release.slots.background?.sha256,
        );
      }
    } finally {
      for (const c of clients) c.stop();
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
