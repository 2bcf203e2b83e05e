/**
 * Faults of a relay cluster (three nodes, Redis, haproxy; real processes): a node SIGKILLed during a
 * publish, and Redis SIGKILLed and restarted while releases are being published.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiPath, parseHistoryBody, parseSignedRelease, utf8 } from '../../protocol/index.ts';
import { bigPngBytes, postRelease, TestRoom, until } from '../testing/helpers.ts';
import { ClusterPlayer } from '../testing/cluster-player.ts';
import { startCluster, type TestCluster } from '../testing/cluster.ts';

let cluster: TestCluster;
let room: TestRoom;
const players: ClusterPlayer[] = [];

/** A node's latest seq of the room, or null when the node does not answer. */
async function latestSeq(url: string): Promise<number | null> {
  try {
    const res = await fetch(url + ApiPath.release('faults'));
    const parsed = parseSignedRelease(await res.json());
    return parsed.ok ? parsed.value.release.seq : null;
  } catch {
    return null;
  }
}

/** Every seq a node holds. */
async function seqsOf(url: string): Promise<Set<number>> {
  const res = await fetch(url + ApiPath.releases('faults'));
  const parsed = parseHistoryBody(await res.json());
  if (!parsed.ok) throw new Error(parsed.message);
  return new Set(parsed.value.releases.map((r) => r.release.seq));
}

/** Makes `room.latest` the cluster's latest (after a publish whose outcome the publisher did not learn). */
async function resync(url: string): Promise<void> {
  const res = await fetch(url + ApiPath.release('faults'));
  const parsed = parseSignedRelease(await res.json());
  if (parsed.ok && parsed.value.release.seq > (room.latest?.release.seq ?? 0)) room.latest = parsed.value;
}

const script = (tag: string) => ({
  logic: {
    kind: 'script' as const,
    lang: 'js' as const,
    bytes: utf8(`export function update(b){return b} // ${tag}\n`),
    version: '1.0.0',
  },
});

beforeAll(async () => {
  cluster = await startCluster(3);
  room = await TestRoom.create(cluster.nodes[0]!.url, 'faults');
  for (let i = 0; i < 9; i++) {
    players.push(
      new ClusterPlayer(
        { host: '127.0.0.1', httpPort: cluster.balancer.httpPort, tcpPort: cluster.balancer.tcpPort },
        i % 2 ? 'tcp' : 'ws',
        'faults',
        `p-${i}`,
      ),
    );
  }
  await Promise.all(players.map((p) => p.start()));
  await until(() => players.every((p) => p.seq === 1), 10_000, 'every player holds seq 1');
}, 60_000);

afterAll(async () => {
  for (const p of players) p.stop();
  await cluster?.dispose();
}, 30_000);

describe('relay cluster faults', () => {
  it('SIGKILL of a node during a publish: all nodes agree, and its players are back and caught up within 2 s', async () => {
    const outcomes: string[] = [];
    // Killed earlier and later in the publish (POST, 409 missing, PUT of the texture, POST again).
    const delays = [10, 100, 250, 1_000];
    for (const [round, delay] of delays.entries()) {
      const victim = cluster.nodes[round % cluster.nodes.length]!;
      const others = cluster.nodes.filter((n) => n !== victim);
      const built = await room.build({
        slots: {
          ...script(`kill ${round}`),
          background: {
            kind: 'texture',
            mime: 'image/png',
            bytes: await bigPngBytes(400_000 + round * 10_000),
            version: `${round}.0.0`,
          },
        },
      });
      const publishing = postRelease(victim.url, built).catch((error: unknown) => ({
        status: 0,
        body: String(error),
      }));
      await new Promise((r) => setTimeout(r, delay));
      const killedAt = Date.now();
      await victim.kill('SIGKILL');
      const res = await publishing;
      const seq = built.signed.release.seq;
      // The nodes left agree on the room's latest; a publish acknowledged is served by all of them.
      await until(
        async () => {
          const seen = await Promise.all(others.map((n) => latestSeq(n.url)));
          return seen.every((s) => s === seen[0]);
        },
        2_000,
        'the nodes left agree',
      );
      const held = await latestSeq(others[0]!.url);
      if (res.status === 201) expect(held).toBe(seq);
      else expect([seq, seq - 1]).toContain(held);
      outcomes.push(
        `${delay} ms: ${res.status === 201 ? 'acknowledged' : `error (${res.status})`}, ${held === seq ? 'served' : 'not served'}`,
      );
      if (held === seq) room.latest = built.signed;
      // Every player (those of the dead node reconnect through haproxy) holds it within 2 s.
      await until(
        () => players.every((p) => p.connected && p.seq === held),
        2_000,
        `every player connected and holding seq ${held}`,
      );
      expect(Date.now() - killedAt).toBeLessThan(2_000);
      await victim.start();
    }
    console.log(`node SIGKILL during publish: ${outcomes.join('; ')}`);
    expect(players.reduce((n, p) => n + p.connections, 0)).toBeGreaterThan(players.length);
  }, 60_000);

  it('Redis SIGKILLed and restarted under load: nothing acknowledged is lost, every node recovers by itself', async () => {
    const acked: number[] = [];
    let stop = false;
    let publishes = 0;
    const load = (async () => {
      while (!stop) {
        const built = await room.build({ slots: script(`load ${publishes++}`) });
        const res = await postRelease(cluster.balancer.url, built).catch(() => ({ status: 0, body: null }));
        if (res.status === 201) {
          room.latest = built.signed;
          acked.push(built.signed.release.seq);
        } else {
          await resync(cluster.balancer.url).catch(() => {});
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();
    await until(() => acked.length >= 5, 10_000, 'publishes under way');
    await cluster.redis.kill();
    const ackedWhileDown = acked.length;
    await new Promise((r) => setTimeout(r, 1_000));
    await cluster.redis.start();
    await until(
      () => acked.length >= ackedWhileDown + 5,
      15_000,
      'publishes acknowledged again after Redis is back',
    );
    stop = true;
    await load;
    const last = Math.max(...acked);
    for (const node of cluster.nodes) {
      await until(
        async () => (await latestSeq(node.url)) === last,
        5_000,
        `node ${node.url} holds seq ${last}`,
      );
      const seqs = await seqsOf(node.url);
      expect(acked.filter((s) => !seqs.has(s))).toEqual([]);
    }
    await until(
      () => players.every((p) => p.seq === last),
      5_000,
      'every player holds the last acknowledged',
    );
    // Each node takes publishes again, directly.
    for (const node of cluster.nodes) {
      room.url = node.url;
      await room.publishScript(`export function update(b){return b} // after ${node.httpPort}\n`, '9.0.0');
    }
    console.log(`Redis restart under load: ${acked.length} acknowledged of ${publishes} publishes`);
  }, 60_000);
});
