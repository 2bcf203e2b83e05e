/**
 * Three relay nodes sharing rooms through a real Redis, behind a real haproxy: players on every node
 * (over WebSocket and TCP, directly and through the balancer) apply a release published through any
 * node; an upload and the release after it may go through any node, even one that has not heard (or
 * never hears) the event telling it of the other node's expectation or upload; competing publishes to
 * two nodes end with exactly one winner and one STALE_SEQ; a node started late catches up.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiPath, parseErrorBody, utf8 } from '../../protocol/index.ts';
import { bigPngBytes, postRelease, TestRoom, until } from '../testing/helpers.ts';
import { DEFAULT_REDIS_PREFIX, REDIS_BLOB_CHUNK_BYTES, redisKeys } from './keys.ts';
import { RedisBlobs } from './redis-blobs.ts';
import { ClusterPlayer } from '../testing/cluster-player.ts';
import { startCluster, startNode, type TestCluster, type TestNode } from '../testing/cluster.ts';

let cluster: TestCluster;
let room: TestRoom;
let redis: Redis;
const keys = redisKeys(DEFAULT_REDIS_PREFIX);
const players: ClusterPlayer[] = [];

const addressOf = (n: { httpPort: number; tcpPort: number }) => ({
  host: '127.0.0.1',
  httpPort: n.httpPort,
  tcpPort: n.tcpPort,
});

async function latestSeq(url: string, name: string): Promise<number> {
  const res = await fetch(url + ApiPath.release(name));
  if (res.status !== 200) return 0;
  const body = (await res.json()) as { release?: { seq?: unknown } };
  return typeof body.release?.seq === 'number' ? body.release.seq : 0;
}

beforeAll(async () => {
  cluster = await startCluster(3);
  redis = new Redis(cluster.redis.url);
  room = await TestRoom.create(cluster.nodes[0]!.url, 'shared');
  // Two players on each node directly (one per transport), and six through the balancer.
  let id = 0;
  for (const node of cluster.nodes) {
    for (const transport of ['ws', 'tcp'] as const) {
      players.push(new ClusterPlayer(addressOf(node), transport, 'shared', `direct-${id++}`));
    }
  }
  for (let i = 0; i < 6; i++) {
    players.push(new ClusterPlayer(addressOf(cluster.balancer), i % 2 ? 'tcp' : 'ws', 'shared', `lb-${i}`));
  }
  await Promise.all(players.map((p) => p.start()));
  await until(() => players.every((p) => p.seq === 1), 10_000, 'every player holds seq 1');
}, 60_000);

afterAll(async () => {
  for (const p of players) p.stop();
  redis?.disconnect();
  await cluster?.dispose();
}, 30_000);

describe('a relay cluster on Redis behind haproxy', () => {
  it('delivers a release published through any node, or through the balancer, to players on every node', async () => {
    for (const [i, url] of [cluster.nodes[1]!.url, cluster.nodes[2]!.url, cluster.balancer.url].entries()) {
      room.url = url;
      const built = await room.publishScript(`export function update(b){return b} // ${i}\n`, `2.${i}.0`);
      const seq = built.signed.release.seq;
      await until(() => players.every((p) => p.seq === seq), 5_000, `every player applies seq ${seq}`);
    }
    for (const node of cluster.nodes)
      expect(await latestSeq(node.url, 'shared')).toBe(room.latest?.release.seq);
  });

  it('serves a big blob uploaded through one node from every node (chunked in Redis)', async () => {
    room.url = cluster.nodes[2]!.url;
    const built = await room.build({
      slots: {
        background: {
          kind: 'texture',
          mime: 'image/png',
          bytes: await bigPngBytes(1_300_000),
          version: '2.0.0',
        },
      },
    });
    const res = await room.publish(built);
    expect(res.status).toBe(201);
    const sha = built.signed.release.slots['background']!.sha256;
    for (const node of cluster.nodes) {
      const got = await fetch(node.url + ApiPath.blob(sha));
      expect(got.status).toBe(200);
      expect((await got.arrayBuffer()).byteLength).toBe(built.blobs.get(sha)!.length);
    }
    // In Redis: chunks of at most REDIS_BLOB_CHUNK_BYTES, made permanent by the release.
    const [size, n] = await redis.hmget(keys.blob(sha), 'size', 'n');
    expect(Number(size)).toBe(built.blobs.get(sha)!.length);
    expect(Number(n)).toBe(Math.ceil(Number(size) / REDIS_BLOB_CHUNK_BYTES));
    expect(Number(n)).toBeGreaterThan(1);
    expect(await redis.strlen(keys.chunk(sha, 0))).toBe(REDIS_BLOB_CHUNK_BYTES);
    expect(await redis.ttl(keys.chunk(sha, 0))).toBe(-1);
    const seq = built.signed.release.seq;
    await until(() => players.every((p) => p.seq === seq), 5_000, 'every player applies the big release');
  });

  it('takes the upload a release asked for on one node through another node', async () => {
    const built = await room.build({
      slots: {
        background: {
          kind: 'texture',
          mime: 'image/png',
          bytes: await bigPngBytes(300_000),
          version: '2.1.0',
        },
      },
    });
    const first = await postRelease(cluster.nodes[0]!.url, built, { omitBlobs: true });
    expect(first.status).toBe(409);
    const sha = built.signed.release.slots['background']!.sha256;
    // Written where every node can read it before the publisher was told what to upload.
    const shared = await redis.get(keys.expectation(sha));
    expect(shared && JSON.parse(shared)).toMatchObject({
      sha256: sha,
      room: 'shared',
      size: built.blobs.get(sha)!.length,
    });
    const put = await fetch(cluster.nodes[1]!.url + ApiPath.blob(sha), {
      method: 'PUT',
      body: new Uint8Array(built.blobs.get(sha)!),
    });
    expect(put.status).toBeLessThan(300);
    const again = await postRelease(cluster.nodes[2]!.url, built, { omitBlobs: true });
    expect(again.status).toBe(201);
    room.latest = built.signed;
    await until(
      () => players.every((p) => p.seq === built.signed.release.seq),
      5_000,
      'every player applies it',
    );
  });

  it('takes an upload whose expectation only Redis holds (the event late or lost)', async () => {
    const built = await room.build({
      slots: {
        background: {
          kind: 'texture',
          mime: 'image/png',
          bytes: await bigPngBytes(310_000),
          version: '2.2.0',
        },
      },
    });
    const sha = built.signed.release.slots['background']!.sha256;
    const bytes = built.blobs.get(sha)!;
    const until = Date.now() + 60_000;
    await redis.set(
      keys.expectation(sha),
      JSON.stringify({ sha256: sha, room: 'shared', size: bytes.length, until }),
    );
    const put = await fetch(cluster.nodes[1]!.url + ApiPath.blob(sha), {
      method: 'PUT',
      body: new Uint8Array(bytes),
    });
    expect(put.status).toBe(201);
  });

  it('accepts a release whose blob only Redis holds (the upload event late or lost)', async () => {
    const built = await room.build({
      slots: {
        background: {
          kind: 'texture',
          mime: 'image/png',
          bytes: await bigPngBytes(320_000),
          version: '2.3.0',
        },
      },
    });
    const sha = built.signed.release.slots['background']!.sha256;
    // Stored as a node stores an upload, but no node is told.
    await new RedisBlobs(redis, keys).put(sha, built.blobs.get(sha)!);
    const res = await postRelease(cluster.nodes[2]!.url, built, { omitBlobs: true });
    expect(res.status).toBe(201);
    room.latest = built.signed;
    await until(
      () => players.every((p) => p.seq === built.signed.release.seq),
      5_000,
      'every player applies it',
    );
  });

  it('lets exactly one of two competing publishes win; the other gets STALE_SEQ', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await room.build({
        slots: {
          logic: {
            kind: 'script',
            lang: 'js',
            bytes: utf8(`export function update(b){return b} // a${round}\n`),
            version: `3.${round}.0`,
          },
        },
      });
      const b = await room.build({
        slots: {
          logic: {
            kind: 'script',
            lang: 'js',
            bytes: utf8(`export function update(b){return b} // b${round}\n`),
            version: `3.${round}.1`,
          },
        },
      });
      expect(a.signed.release.seq).toBe(b.signed.release.seq);
      const [ra, rb] = await Promise.all([
        postRelease(cluster.nodes[0]!.url, a),
        postRelease(cluster.nodes[1 + (round % 2)]!.url, b),
      ]);
      const statuses = [ra.status, rb.status].sort();
      expect(statuses).toEqual([201, 409]);
      const loser = ra.status === 409 ? ra : rb;
      const refusal = parseErrorBody(loser.body);
      expect(refusal.ok && refusal.value.error.code).toBe('STALE_SEQ');
      const winner = ra.status === 201 ? a : b;
      room.latest = winner.signed;
      const seq = winner.signed.release.seq;
      for (const node of cluster.nodes) {
        await until(
          async () => (await latestSeq(node.url, 'shared')) === seq,
          3_000,
          'every node has the winner',
        );
        const history = (await (await fetch(node.url + ApiPath.releases('shared'))).json()) as {
          releases: { release: { version: string } }[];
        };
        expect(history.releases[0]?.release.version).toBe(winner.signed.release.version);
      }
      await until(() => players.every((p) => p.seq === seq), 5_000, 'every player applies the winner');
    }
  });

  it("counts the uploads every node awaits against a room's quota", async () => {
    const limit = ['--max-pending-upload-bytes', '500000'];
    const [a, b] = await Promise.all([
      startNode(cluster.redis.url, limit),
      startNode(cluster.redis.url, limit),
    ]);
    try {
      const texture = async (bytes: number) =>
        room.build({
          slots: {
            background: {
              kind: 'texture',
              mime: 'image/png',
              bytes: await bigPngBytes(bytes),
              version: '5.0.0',
            },
          },
        });
      const first = await postRelease(a.url, await texture(350_000), { omitBlobs: true });
      expect(first.status).toBe(409);
      const second = await texture(360_000);
      // Node b hears of node a's expected uploads through Redis.
      await until(
        async () => {
          const res = await postRelease(b.url, second, { omitBlobs: true });
          const refusal = parseErrorBody(res.body);
          return res.status === 429 && refusal.ok && refusal.value.error.code === 'QUOTA_EXCEEDED';
        },
        2_000,
        'node b refuses over the room quota',
      );
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });

  it('catches up a node started late', async () => {
    let late: TestNode | null = null;
    try {
      late = await startNode(cluster.redis.url);
      expect(await latestSeq(late.url, 'shared')).toBe(room.latest?.release.seq);
      const player = new ClusterPlayer(addressOf(late), 'ws', 'shared', 'late-player');
      await player.start();
      await until(() => player.seq === room.latest?.release.seq, 5_000, 'the late node serves the latest');
      // And it follows what others accept from now on.
      room.url = cluster.nodes[0]!.url;
      const built = await room.publishScript('export function update(b){return b} // late\n', '4.0.0');
      await until(() => player.seq === built.signed.release.seq, 5_000, 'the late node announces');
      player.stop();
    } finally {
      await late?.dispose();
    }
  });
});
