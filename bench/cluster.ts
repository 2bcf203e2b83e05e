/**
 * `npm run bench -- cluster`: what sharing rooms through Redis costs. In one run, on this machine:
 *
 *   cluster   Redis + 3 relay nodes (`patchcast serve --redis`, real processes); N players spread
 *             over the nodes (round robin, WebSocket); each release published through node 0
 *   single    one relay node on its own data dir, the same N players on it
 *
 * For each, R script releases (one at a time): publish start → each player applied it (release
 * announced and every blob fetched over HTTP and hash-checked): p50 / p95 / max over all players and
 * releases. Then PeerJS: a data connection between two Node peers (node-datachannel) registered on two
 * different nodes, against two on the same single node. And Redis' cost per publish, from its
 * INFO counters: commands, server CPU time (usec) and bytes in and out.
 *
 * Options: --players N (default 300) --releases R (default 10) --peers K (connections, default 5)
 *          --json FILE
 */
import { writeFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { utf8 } from '../protocol/index.ts';
import { openNodePeer } from '../player/node/node-peer.ts';
import { signalingFor } from '../player/swarm/signaling-address.ts';
import { ClusterPlayer } from '../signaling/testing/cluster-player.ts';
import { startNode, startRedis, type TestNode } from '../signaling/testing/cluster.ts';
import { TestRoom, until } from '../signaling/testing/helpers.ts';

interface Row {
  readonly setup: string;
  readonly players: number;
  readonly releases: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly peerConnectMs: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function numFlag(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(argv[at + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} takes a positive integer`);
  return value;
}

/** N players spread over some nodes (round robin), and a room published through the first node. */
class Fleet {
  private clients: ClusterPlayer[] = [];
  private room: TestRoom | null = null;
  /** Publish → applied times, all players, all releases measured. */
  readonly times: number[] = [];
  /** The same, by node. */
  readonly perNode: number[][];
  private published = 0;

  constructor(
    private readonly nodes: readonly TestNode[],
    private readonly name: string,
  ) {
    this.perNode = nodes.map(() => []);
  }

  async start(players: number): Promise<void> {
    this.room = await TestRoom.create(this.nodes[0]!.url, this.name);
    this.clients = Array.from({ length: players }, (_, i) => {
      const node = this.nodes[i % this.nodes.length]!;
      const address = { host: '127.0.0.1', httpPort: node.httpPort, tcpPort: node.tcpPort };
      return new ClusterPlayer(address, 'ws', this.name, `bench-${i}`);
    });
    for (let i = 0; i < this.clients.length; i += 50)
      await Promise.all(this.clients.slice(i, i + 50).map((c) => c.start()));
    await until(() => this.clients.every((c) => c.seq === 1), 60_000, 'every player holds seq 1');
  }

  /** Publishes one script release and waits until every player applied it; `record` keeps the times. */
  async publish(record: boolean): Promise<void> {
    const room = this.room!;
    const r = this.published++;
    const started = Date.now();
    const built = await room.build({
      slots: {
        logic: {
          kind: 'script',
          lang: 'js',
          bytes: utf8(`export function update(b){return b} // ${r}\n`),
          version: `1.${r}.0`,
        },
      },
    });
    const res = await room.publish(built);
    if (res.status !== 201) throw new Error(`publish refused: ${JSON.stringify(res.body)}`);
    const seq = built.signed.release.seq;
    await until(() => this.clients.every((c) => c.seq >= seq), 60_000, `every player applies seq ${seq}`);
    if (!record) return;
    for (const [i, c] of this.clients.entries()) {
      const ms = c.applied.find((a) => a.seq === seq)!.at - started;
      this.times.push(ms);
      this.perNode[i % this.nodes.length]!.push(ms);
    }
  }

  stop(): void {
    for (const c of this.clients) c.stop();
  }
}

/** Median time to an open data connection between peers registered at `a` and `b`. */
async function measurePeers(a: TestNode, b: TestNode, tag: string, count: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const pa = await openNodePeer(signalingFor(a.url), `${tag}-a-${i}`);
    const pb = await openNodePeer(signalingFor(b.url), `${tag}-b-${i}`);
    const started = performance.now();
    const conn = pa.connect(`${tag}-b-${i}`, { reliable: true });
    await new Promise<void>((done, fail) => {
      conn.on('open', () => done());
      setTimeout(() => fail(new Error('no data connection in 10 s')), 10_000);
    });
    times.push(performance.now() - started);
    // Late ICE candidates still arrive after open: PeerJS fails on them if the peer is gone already.
    await new Promise((r) => setTimeout(r, 500));
    pa.destroy();
    pb.destroy();
  }
  return quantile(
    times.sort((x, y) => x - y),
    0.5,
  );
}

async function redisCounters(
  redis: Redis,
): Promise<{ calls: number; usec: number; bytesIn: number; bytesOut: number }> {
  const stats = await redis.info('commandstats');
  let calls = 0;
  let usec = 0;
  for (const m of stats.matchAll(/calls=(\d+),usec=(\d+)/g)) {
    calls += Number(m[1]);
    usec += Number(m[2]);
  }
  const net = await redis.info('stats');
  const bytesIn = Number(/total_net_input_bytes:(\d+)/.exec(net)?.[1] ?? 0);
  const bytesOut = Number(/total_net_output_bytes:(\d+)/.exec(net)?.[1] ?? 0);
  return { calls, usec, bytesIn, bytesOut };
}

export async function main(argv: readonly string[]): Promise<number> {
  const players = numFlag(argv, 'players', 300);
  const releases = numFlag(argv, 'releases', 10);
  const peers = numFlag(argv, 'peers', 5);
  const jsonAt = argv.indexOf('--json');
  const redis = await startRedis();
  const nodes = await Promise.all([0, 1, 2].map(() => startNode(redis.url)));
  const single = await startNode(null);
  const probe = new Redis(redis.url);
  const rows: Row[] = [];
  try {
    // Redis' cost of one publish: counters around one release with nobody connected (the rosters
    // and heartbeats of connected players would count too).
    const quiet = await TestRoom.create(nodes[0]!.url, 'cost');
    const before = await redisCounters(probe);
    for (let r = 0; r < releases; r++)
      await quiet.publishScript(`export function update(b){return b} // c${r}\n`, `0.${r}.0`);
    const after = await redisCounters(probe);

    // Both fleets connected at once; releases alternate between them, after one warm-up each, so
    // the machine's load (shared, two cores) falls on both alike.
    const spread = new Fleet(nodes, 'spread');
    const alone = new Fleet([single], 'alone');
    await spread.start(players);
    await alone.start(players);
    await spread.publish(false);
    await alone.publish(false);
    for (let r = 0; r < releases; r++) {
      await spread.publish(true);
      await alone.publish(true);
    }
    spread.stop();
    alone.stop();
    const medians = spread.perNode.map((t) =>
      quantile(
        t.sort((a, b) => a - b),
        0.5,
      ),
    );
    console.log(
      `publish → applied p50 by node (publishing through node 0): ${medians.map((m) => `${m} ms`).join(', ')}`,
    );
    const clustered = spread.times.sort((a, b) => a - b);
    const alone1 = alone.times.sort((a, b) => a - b);
    const crossPeers = await measurePeers(nodes[0]!, nodes[1]!, 'x', peers);
    const samePeers = await measurePeers(single, single, 's', peers);
    rows.push(
      {
        setup: 'Redis + 3 nodes',
        players,
        releases,
        p50: quantile(clustered, 0.5),
        p95: quantile(clustered, 0.95),
        max: clustered.at(-1)!,
        peerConnectMs: crossPeers,
      },
      {
        setup: '1 node, no Redis',
        players,
        releases,
        p50: quantile(alone1, 0.5),
        p95: quantile(alone1, 0.95),
        max: alone1.at(-1)!,
        peerConnectMs: samePeers,
      },
    );
    const per = (x: number) => (x / releases).toFixed(1);
    console.log(`\n${players} players (WebSocket), ${releases} script releases published one at a time\n`);
    console.log('| setup | publish → all applied p50 | p95 | max | PeerJS data connection (median) |');
    console.log('|---|---|---|---|---|');
    for (const r of rows) {
      const peerLabel = r.setup.startsWith('Redis') ? 'two nodes' : 'same node';
      console.log(
        `| ${r.setup} | ${r.p50} ms | ${r.p95} ms | ${r.max} ms | ${r.peerConnectMs.toFixed(0)} ms (${peerLabel}) |`,
      );
    }
    console.log(
      `\nRedis per publish: ${per(after.calls - before.calls)} commands, ${per(after.usec - before.usec)} µs of Redis CPU, ` +
        `${(Number(per(after.bytesIn - before.bytesIn)) / 1024).toFixed(1)} KiB in, ${(Number(per(after.bytesOut - before.bytesOut)) / 1024).toFixed(1)} KiB out`,
    );
    if (jsonAt >= 0)
      await writeFile(
        argv[jsonAt + 1] ?? 'cluster.json',
        JSON.stringify({ rows, redis: { before, after, releases } }, null, 2),
      );
    return 0;
  } finally {
    probe.disconnect();
    await Promise.all([...nodes, single].map((n) => n.dispose()));
    await redis.dispose();
  }
}
