// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { PeerServer } from 'peer';
import type { DataConnection, Peer } from 'peerjs';
import { describeBlob } from '../../protocol/blobs.ts';
import { linkFromConnection, PeerMesh, SWARM_CONNECT_OPTIONS } from '../swarm/peerjs.ts';
import { Swarm, type RelaySource } from '../swarm/swarm.ts';
import { NODE_LINK_MTU, openNodePeer } from './node-peer.ts';

// Real WebRTC between Node peers (node-datachannel), brokered by the `peer` package's server on loopback.
// `npm test` runs this inside a network namespace with only `lo` up; `iceServers` is empty.

let server: Server;
let port = 0;
const peers: Peer[] = [];

beforeAll(async () => {
  server = await new Promise<Server>((resolve) => {
    PeerServer({ host: '127.0.0.1', port: 0, path: '/peerjs' }, (s) => resolve(s as Server));
  });
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const p of peers) p.destroy();
  await new Promise((r) => server.close(r));
});

describe('swarm over PeerJS and real WebRTC', () => {
  it('spreads a 1 MB blob between four Node peers, the relay serving about one copy', async () => {
    const blob = new Uint8Array(1 << 20).map((_, i) => Math.imul(i + 1, 2654435761) >>> 24);
    const desc = await describeBlob(blob);
    let relayBytes = 0;
    const served = new Map<number, number>();
    // A relay that serves each chunk once to clients with peers (the real policy is tested elsewhere).
    const relay: RelaySource = {
      getChunk: async (_sha, index, mayDefer) => {
        const n = served.get(index) ?? 0;
        if (mayDefer && n > 0) return { kind: 'deferred', retryAfterMs: 500 };
        served.set(index, n + 1);
        const bytes = blob.slice(index * desc.chunkSize, (index + 1) * desc.chunkSize);
        relayBytes += bytes.length;
        return { kind: 'chunk', bytes };
      },
    };
    // Each mesh asks for peer ids again while it is below its target (as a player asks the relay):
    // a link whose setup failed on a loaded machine is dialled again at the next refill.
    let ids: string[] = [];
    const nodes = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const peer = await openNodePeer(
          { host: '127.0.0.1', port, path: '/peerjs', secure: false },
          `node-${i}`,
        );
        peers.push(peer);
        const swarm = new Swarm({ relay });
        const mesh: PeerMesh = new PeerMesh(peer, swarm, {
          target: 3,
          requestPeers: () => mesh.offer(ids),
          refillMs: 2_000,
        });
        return { peer, swarm, mesh };
      }),
    );
    ids = nodes.map((m) => m.peer.id);
    for (const n of nodes) n.mesh.offer(ids);
    // libdatachannel took ~1 s to open a link on loopback here (node-webrtc ~0.1 s), and longer
    // while other tests load the machine: allow for it.
    await waitFor(() => nodes.every((n) => n.swarm.peerCount >= 2), 20_000);
    const results = await Promise.all(nodes.map((n) => n.swarm.fetch(desc)));
    for (const r of results) expect(r.ok && Buffer.from(r.value).equals(Buffer.from(blob))).toBe(true);
    const fromPeers = nodes.reduce((s, n) => s + n.swarm.stats.bytesFromPeers, 0);
    expect(relayBytes).toBeLessThanOrEqual(1.5 * blob.length);
    expect(fromPeers).toBeGreaterThanOrEqual(2 * blob.length);
    for (const n of nodes) {
      n.mesh.stop();
      n.swarm.close();
    }
  });
});

describe('chunks on a data channel', () => {
  it('cross a link as one message each, and are passed on as they came (A → B → C)', async () => {
    const address = { host: '127.0.0.1', port, path: '/peerjs', secure: false };
    const [a, b, c] = await Promise.all(
      ['pn-one-a', 'pn-one-b', 'pn-one-c'].map((id) => openNodePeer(address, id)),
    );
    peers.push(a!, b!, c!);
    const blob = new Uint8Array(1 << 20).map((_, i) => Math.imul(i + 7, 2246822519) >>> 24);
    const desc = await describeBlob(blob); // 16 chunks of 64 KiB
    const swarms = new Map([a, b, c].map((p) => [p!.id, new Swarm({ relay: null })]));
    /** Binary data channel messages each peer received. */
    const binary = new Map<string, number>();
    const count = (id: string, conn: DataConnection) =>
      conn.dataChannel.addEventListener('message', (e: MessageEvent) => {
        if (typeof e.data !== 'string') binary.set(id, (binary.get(id) ?? 0) + 1);
      });
    const link = async (from: Peer, to: Peer): Promise<void> => {
      const incoming = new Promise<DataConnection>((resolve) => to.once('connection', resolve));
      const out = from.connect(to.id, SWARM_CONNECT_OPTIONS);
      const inc = await incoming;
      await Promise.all(
        [out, inc].map((conn) => new Promise((r) => (conn.open ? r(null) : conn.on('open', () => r(null))))),
      );
      count(from.id, out);
      count(to.id, inc);
      swarms.get(from.id)!.addPeer(linkFromConnection(out));
      swarms.get(to.id)!.addPeer(linkFromConnection(inc));
    };
    swarms.get(a!.id)!.hold(desc, blob);
    await link(a!, b!);
    const atB = await swarms.get(b!.id)!.fetch(desc);
    expect(atB.ok && Buffer.from(atB.value).equals(Buffer.from(blob))).toBe(true);
    // C links to B alone: B serves the frames it got from A (no copy: `encodeChunkFrame`).
    await link(b!, c!);
    const atC = await swarms.get(c!.id)!.fetch(desc);
    expect(atC.ok && Buffer.from(atC.value).equals(Buffer.from(blob))).toBe(true);
    await new Promise((r) => setTimeout(r, 100)); // anything more on its way would arrive
    expect([binary.get(b!.id), binary.get(c!.id), binary.get(a!.id) ?? 0]).toEqual([16, 16, 0]);
    for (const id of [b!.id, c!.id]) {
      const stats = swarms.get(id)!.stats;
      expect([stats.chunksFromPeers, stats.badChunks]).toEqual([16, 0]);
    }
    for (const s of swarms.values()) s.close();
  }, 30_000);
});

describe('the SCTP packet size of a link', () => {
  it('is 4 KiB between two Node players on a loopback-only machine, and the default towards a page', async () => {
    const address = { host: '127.0.0.1', port, path: '/peerjs', secure: false };
    const [a, b, page] = await Promise.all(
      ['pn-mtu-a', 'pn-mtu-b', 'pc-mtu-page'].map((id) => openNodePeer(address, id)),
    );
    peers.push(a!, b!, page!);
    const mtuOf = (conn: DataConnection): number | null =>
      (conn.peerConnection as unknown as { linkMtu: number | null }).linkMtu;
    const opened = (conn: DataConnection) =>
      new Promise<void>((resolve) => (conn.open ? resolve() : conn.on('open', resolve)));
    const linked = async (from: Peer, to: Peer): Promise<[DataConnection, DataConnection]> => {
      const incoming = new Promise<DataConnection>((resolve) => to.once('connection', resolve));
      const outgoing = from.connect(to.id, { serialization: 'raw', reliable: true });
      const other = await incoming;
      await Promise.all([opened(outgoing), opened(other)]);
      return [outgoing, other];
    };
    // Node to Node: both ends send 4 KiB packets; 16 chunk-sized messages cross intact.
    const [ab, ba] = await linked(a!, b!);
    expect([mtuOf(ab), mtuOf(ba)]).toEqual([NODE_LINK_MTU, NODE_LINK_MTU]);
    const chunks = Array.from({ length: 16 }, (_, k) =>
      new Uint8Array(64 << 10).map((_, i) => (i * 31 + k) % 251),
    );
    const got: Uint8Array[] = [];
    const all = new Promise<void>((resolve) =>
      ba.on('data', (d) => {
        got.push(new Uint8Array(d as ArrayBuffer));
        if (got.length === chunks.length) resolve();
      }),
    );
    for (const chunk of chunks) void ab.send(chunk);
    await all;
    expect(got.map((g) => Buffer.from(g).toString('base64'))).toEqual(
      chunks.map((c) => Buffer.from(c).toString('base64')),
    );
    // To a page's id (`pc-`: Chromium drops larger packets) a Node player keeps the default.
    const [toPage] = await linked(a!, page!);
    expect(mtuOf(toPage)).toBeNull();
  }, 30_000);
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
