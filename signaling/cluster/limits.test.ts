// @vitest-environment node
/**
 * Per-address limits held for a whole cluster (three `patchcast serve --redis` processes behind
 * haproxy, which names its clients with X-Forwarded-For and PROXY v2): an address that spreads its
 * sessions, requests, new connections or room creations over the three nodes meets the cluster's
 * limit, not three times it, and every node counts its refusals; a killed node's connections stop
 * counting once its lease ends. Clients bind distinct loopback addresses (127.0.0.2, …), so each
 * is a separate caller; a direct caller's forged X-Forwarded-For or PROXY header is not believed.
 * The nodes' cluster metrics move.
 */
import { request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, generateSigningKey, type Roster } from '../../protocol/index.ts';
import { openNodePeer } from '../../player/node/node-peer.ts';
import { signalingFor } from '../../player/swarm/signaling-address.ts';
import { RawConn, TestRoom, until } from '../testing/helpers.ts';
import { startCluster, type TestCluster, type TestNode } from '../testing/cluster.ts';
import { NODE_LEASE_MS } from './cluster-limits.ts';
import { redisKeys } from './keys.ts';
import { COMMIT_RELEASE } from './scripts.ts';

const SESSIONS_PER_ADDRESS = 4;
const REQUEST_BURST = 64;
const CONNECT_BURST = 40;

let cluster: TestCluster;
let nodes: TestNode[];
let room: TestRoom;
const sockets: { close(): void }[] = [];

beforeAll(async () => {
  cluster = await startCluster(
    3,
    [
      ...['--max-connections-per-ip', String(SESSIONS_PER_ADDRESS), '--peerjs-per-ip', '4'],
      ...['--requests-per-second', '2', '--request-burst', String(REQUEST_BURST)],
      ...['--connects-per-second', '1', '--connect-burst', String(CONNECT_BURST)],
      ...['--open-rooms', '--open-rooms-per-address', '2'],
    ],
    { proxyHeaders: true },
  );
  nodes = cluster.nodes;
  room = await TestRoom.create(nodes[0]!.url, 'limits');
}, 60_000);

afterAll(async () => {
  if (process.env['PATCHCAST_DUMP_NODES']) {
    const { writeFileSync } = await import('node:fs');
    for (const [i, n] of (nodes ?? []).entries())
      writeFileSync(`${process.env['PATCHCAST_DUMP_NODES']}-${i}.log`, n.output.join(''));
  }
  for (const s of sockets) s.close();
  await cluster?.dispose();
}, 30_000);

/** An HTTP request from a chosen local address. */
function httpFrom(
  local: string,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = httpRequest(
      url,
      { localAddress: local, agent: false, method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', fail);
    req.end(init.body);
  });
}

/** A `/ws` connection from a chosen local address: open, or the HTTP status that refused it. */
function wsFrom(
  local: string,
  port: number,
  headers: Record<string, string> = {},
): Promise<WebSocket | number> {
  return new Promise((done) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { localAddress: local, headers });
    ws.once('open', () => {
      sockets.push({ close: () => ws.terminate() });
      done(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      done(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => done(0));
  });
}

const hello = (clientId: string) => ({
  type: 'hello',
  v: 1,
  room: 'limits',
  role: 'player',
  clientId,
  seq: 1,
});

/** A player on TCP from a chosen local address, `prefix` written before its hello. */
function tcpPlayerFrom(
  local: string,
  port: number,
  clientId: string,
  prefix = Buffer.alloc(0),
): Promise<{ ended: Promise<void> }> {
  return new Promise((done, fail) => {
    const socket = netConnect({ host: '127.0.0.1', port, localAddress: local });
    const ended = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => {});
    socket.resume(); // read (and drop) what the relay says, so its close is seen
    socket.once('connect', () => {
      socket.write(Buffer.concat([prefix, encodeFrame(hello(clientId))]));
      sockets.push({ close: () => socket.destroy() });
      done({ ended });
    });
    socket.once('error', fail);
  });
}

let scrapes = 0;

/** A node's /metrics, each scrape from an address of its own (the nodes' request rate is low here). */
async function metricsOf(node: TestNode): Promise<string> {
  return (await httpFrom(`127.0.1.${(scrapes++ % 250) + 1}`, `${node.url}/metrics`)).body;
}

/** Polls `test` every 250 ms (each poll scrapes /metrics) until it holds. */
async function eventually(test: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!(await test())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Sum of a metric's samples whose line has every one of `labels` (`code="X"` …). */
function sample(text: string, name: string, ...labels: string[]): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (labels.every((l) => line.includes(l))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function refusalsOnEveryNode(code: string, source: string): Promise<number[]> {
  return Promise.all(
    nodes.map(async (n) =>
      sample(await metricsOf(n), 'patchcast_refusals_total', `code="${code}"`, `source="${source}"`),
    ),
  );
}

describe('limits held for the whole cluster', () => {
  it('admits an address its sessions across the cluster, not per node', async () => {
    const results: (WebSocket | number)[] = [];
    for (let i = 0; i < 7; i++) results.push(await wsFrom('127.0.0.2', nodes[i % 3]!.httpPort));
    const open = results.filter((r): r is WebSocket => typeof r !== 'number');
    expect(open).toHaveLength(SESSIONS_PER_ADDRESS);
    expect(results.filter((r) => r === 503)).toHaveLength(7 - SESSIONS_PER_ADDRESS);
    // Attempts 5, 6, 7 went to nodes 1, 2, 0: each counted its refusal.
    for (const n of await refusalsOnEveryNode('TOO_MANY_CONNECTIONS', 'ws'))
      expect(n).toBeGreaterThanOrEqual(1);
    // A TCP session of the same address is refused too (one count for /ws and TCP, as in the hub).
    const tcp = await tcpPlayerFrom('127.0.0.2', nodes[2]!.tcpPort, 'tcp-over');
    await tcp.ended;
    // A closed session frees its place.
    open[0]!.close();
    let again: WebSocket | number = 0;
    for (let i = 0; i < 20 && typeof again === 'number'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await wsFrom('127.0.0.2', nodes[1]!.httpPort);
    }
    expect(typeof again).not.toBe('number');
  }, 30_000);

  it("refuses an address's requests spread over the nodes at the cluster's rate", async () => {
    const start = Date.now();
    let ok = 0;
    let limited = 0;
    for (let i = 0; i < 150; i++) {
      const { status } = await httpFrom('127.0.0.3', `${nodes[i % 3]!.url}/healthz`);
      if (status === 200) ok++;
      else if (status === 429) limited++;
    }
    const refill = Math.ceil(((Date.now() - start) / 1000) * 2);
    expect(ok).toBeLessThanOrEqual(REQUEST_BURST + refill);
    expect(ok).toBeGreaterThan(REQUEST_BURST / 2);
    expect(limited).toBe(150 - ok);
    for (const n of await refusalsOnEveryNode('RATE_LIMITED', 'http')) expect(n).toBeGreaterThanOrEqual(1);

    // What it costs an honest caller: one Redis round trip per batch of tokens, not per request.
    const before = await metricsOf(nodes[0]!);
    const t0 = performance.now();
    for (let i = 0; i < 40; i++)
      expect((await httpFrom('127.0.0.13', `${nodes[0]!.url}/healthz`)).status).toBe(200);
    const perRequestMs = (performance.now() - t0) / 40;
    const after = await metricsOf(nodes[0]!);
    const redisChecks =
      sample(after, 'patchcast_cluster_rate_checks_total', 'where="redis"') -
      sample(before, 'patchcast_cluster_rate_checks_total', 'where="redis"');
    const rateTrips = sample(after, 'patchcast_redis_roundtrip_seconds_count', 'op="rate"');
    const rateSeconds = sample(after, 'patchcast_redis_roundtrip_seconds_sum', 'op="rate"');
    console.log(
      `shared rate limit: 40 requests of one caller → ${redisChecks} Redis round trips ` +
        `(mean ${((rateSeconds / rateTrips) * 1000).toFixed(2)} ms each); ${perRequestMs.toFixed(2)} ms per request end to end`,
    );
    // (The counter is the node's: other callers' checks may land in the same window.)
    expect(redisChecks).toBeLessThan(40 / 2);
  }, 60_000);

  it("refuses an address's new connections spread over the nodes at the cluster's rate", async () => {
    const start = Date.now();
    let open = 0;
    let limited = 0;
    for (let i = 0; i < 70; i++) {
      const r = await wsFrom('127.0.0.4', nodes[i % 3]!.httpPort);
      if (typeof r === 'number') {
        if (r === 429) limited++;
        continue;
      }
      open++;
      await new Promise<void>((done) => {
        r.once('close', () => done());
        r.close();
      });
    }
    const refill = Math.ceil((Date.now() - start) / 1000);
    expect(open).toBeLessThanOrEqual(CONNECT_BURST + refill);
    expect(limited).toBeGreaterThanOrEqual(70 - CONNECT_BURST - refill);
    for (const n of await refusalsOnEveryNode('RATE_LIMITED', 'ws')) expect(n).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("refuses an address's open-room creations past the quota, whichever node it asks", async () => {
    const statuses: number[] = [];
    for (const [i, name] of ['open-a', 'open-b', 'open-c', 'open-d'].entries()) {
      const r = new TestRoom(nodes[i % 3]!.url, name, await generateSigningKey());
      const built = await r.build({
        slots: {
          logic: {
            kind: 'script',
            lang: 'js',
            bytes: new TextEncoder().encode(`// ${name}\n`),
            version: '1.0.0',
          },
        },
      });
      const body = JSON.stringify({
        signed: built.signed,
        blobs: Object.fromEntries([...built.blobs].map(([k, b]) => [k, Buffer.from(b).toString('base64')])),
        publicKey: r.key.publicKey,
      });
      const res = await httpFrom('127.0.0.11', `${nodes[i % 3]!.url}/api/rooms/${name}/releases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      statuses.push(res.status);
      if (res.status === 429) expect(res.body).toContain('QUOTA_EXCEEDED');
    }
    expect(statuses).toEqual([201, 201, 429, 429]);
  }, 30_000);
});

describe('client addresses behind the balancer', () => {
  it('limits clients behind haproxy separately, and shows admins their real addresses', async () => {
    const lb = cluster.balancer;
    const from5: (WebSocket | number)[] = [];
    for (let i = 0; i < SESSIONS_PER_ADDRESS + 1; i++) from5.push(await wsFrom('127.0.0.5', lb.httpPort));
    expect(from5.filter((r) => typeof r !== 'number')).toHaveLength(SESSIONS_PER_ADDRESS);
    expect(from5.at(-1)).toBe(503);
    // Another client of the same balancer is not held to the first one's count.
    for (let i = 0; i < SESSIONS_PER_ADDRESS; i++)
      expect(typeof (await wsFrom('127.0.0.6', lb.httpPort))).not.toBe('number');

    const admin = await RawConn.open(
      { host: '127.0.0.1', httpPort: nodes[0]!.httpPort, tcpPort: nodes[0]!.tcpPort },
      'ws',
    );
    sockets.push(admin);
    await admin.adminHello(room.key, { room: 'limits' });
    // TCP through haproxy (PROXY v2), WebSocket through haproxy (X-Forwarded-For).
    await tcpPlayerFrom('127.0.0.7', lb.tcpPort, 'via-lb-tcp');
    const ws = await wsFrom('127.0.0.8', lb.httpPort);
    if (typeof ws === 'number') throw new Error(`refused ${ws}`);
    ws.send(JSON.stringify(hello('via-lb-ws')));
    // Direct callers who claim other addresses.
    const forged = await wsFrom('127.0.0.9', nodes[1]!.httpPort, { 'x-forwarded-for': '10.9.9.9' });
    if (typeof forged === 'number') throw new Error(`refused ${forged}`);
    forged.send(JSON.stringify(hello('forged-xff')));
    const proxyLine = Buffer.from('PROXY TCP4 10.9.9.10 127.0.0.1 4000 8788\r\n');
    const forgedTcp = await tcpPlayerFrom('127.0.0.9', nodes[2]!.tcpPort, 'forged-proxy', proxyLine);

    const addresses = () => {
      const roster = admin.messages.filter((m): m is Roster => m.type === 'roster').at(-1);
      return new Map(roster?.clients.map((c) => [c.clientId, c.address]));
    };
    await until(
      () => ['via-lb-tcp', 'via-lb-ws', 'forged-xff'].every((id) => addresses().has(id)),
      5_000,
      'the roster',
    );
    expect(addresses().get('via-lb-tcp')).toBe('127.0.0.7');
    expect(addresses().get('via-lb-ws')).toBe('127.0.0.8');
    expect(addresses().get('forged-xff')).toBe('127.0.0.9');
    // The PROXY line of an untrusted caller is bytes of a bad frame: refused and closed, never a player.
    await forgedTcp.ended;
    expect(addresses().has('forged-proxy')).toBe(false);

    // A direct caller rotating X-Forwarded-For still meets its own address' request rate.
    let ok = 0;
    for (let i = 0; i < REQUEST_BURST + 30; i++) {
      const res = await httpFrom('127.0.0.10', `${nodes[i % 3]!.url}/healthz`, {
        headers: { 'x-forwarded-for': `10.0.${i >> 8}.${i & 255}` },
      });
      if (res.status === 200) ok++;
    }
    expect(ok).toBeLessThan(REQUEST_BURST + 20);
  }, 60_000);
});

describe('cluster metrics', () => {
  it('count Redis round trips, events, catch-ups, nodes alive and routed PeerJS messages', async () => {
    await room.publishScript('export function update(b){return b} // metrics\n', '1.1.0');
    const k = redisKeys('patchcast:');
    // A release committed with its announcement lost (published where nobody listens): the seq poll finds it.
    const lost = await room.build({
      slots: {
        logic: {
          kind: 'script',
          lang: 'js',
          bytes: new TextEncoder().encode('export function update(b){return b}\n'),
          version: '1.2.0',
        },
      },
    });
    const redis = new Redis(cluster.redis.url);
    try {
      const seq = lost.signed.release.seq;
      const shas = [...new Set(Object.values(lost.signed.release.slots).map((s) => s.sha256))];
      const answer = await redis.eval(
        COMMIT_RELEASE,
        3,
        k.room('limits'),
        k.seq('limits'),
        k.releases('limits'),
        k.prefix,
        seq,
        JSON.stringify(lost.signed),
        'nobody-listens',
        '{}',
        ...shas,
      );
      expect(answer).toEqual(['ok']);
    } finally {
      redis.disconnect();
    }
    const a = await openNodePeer(signalingFor(nodes[0]!.url), 'metrics-a');
    const b = await openNodePeer(signalingFor(nodes[1]!.url), 'metrics-b');
    try {
      a.connect('metrics-b', { reliable: true });
      await until(
        async () =>
          sample(await metricsOf(nodes[1]!), 'patchcast_cluster_peerjs_routed_total', 'direction="in"') > 0,
        5_000,
        'a PeerJS message routed to node 1',
      );
    } finally {
      a.destroy();
      b.destroy();
    }
    await until(
      async () =>
        (await Promise.all(nodes.map(metricsOf))).every(
          (t) => sample(t, 'patchcast_cluster_catchups_total') > 0,
        ),
      5_000,
      'every node caught up the release whose announcement was lost',
    );
    const texts = await Promise.all(nodes.map(metricsOf));
    for (const t of texts) {
      expect(sample(t, 'patchcast_redis_roundtrip_seconds_count', 'op="poll"')).toBeGreaterThan(0);
      expect(sample(t, 'patchcast_redis_roundtrip_seconds_count', 'op="lease"')).toBeGreaterThan(0);
      expect(sample(t, 'patchcast_redis_connected')).toBe(1);
      expect(sample(t, 'patchcast_cluster_nodes')).toBe(3);
      expect(sample(t, 'patchcast_cluster_events_total', 'direction="in"', 'type="release"')).toBeGreaterThan(
        0,
      );
    }
    expect(
      sample(texts[0]!, 'patchcast_cluster_events_total', 'direction="out"', 'type="release"'),
    ).toBeGreaterThan(0);
    expect(sample(texts[0]!, 'patchcast_cluster_peerjs_routed_total', 'direction="out"')).toBeGreaterThan(0);
  }, 30_000);
});

describe('a dead node', () => {
  it("stops counting a killed node's connections once its lease ends", async () => {
    const opened: (WebSocket | number)[] = [];
    for (const i of [2, 2, 0, 1]) opened.push(await wsFrom('127.0.0.12', nodes[i]!.httpPort));
    expect(opened.every((r) => typeof r !== 'number')).toBe(true);
    expect(await wsFrom('127.0.0.12', nodes[0]!.httpPort)).toBe(503);
    const killed = Date.now();
    await nodes[2]!.kill('SIGKILL');
    let admitted = false;
    while (!admitted && Date.now() - killed < NODE_LEASE_MS + 5_000) {
      await new Promise((r) => setTimeout(r, 500));
      admitted = typeof (await wsFrom('127.0.0.12', nodes[0]!.httpPort)) !== 'number';
    }
    expect(admitted).toBe(true);
    console.log(
      `a killed node's connections freed ${Date.now() - killed} ms after the kill (lease ${NODE_LEASE_MS} ms)`,
    );
    expect(Date.now() - killed).toBeGreaterThan(NODE_LEASE_MS / 3);
    await until(
      async () => sample(await metricsOf(nodes[0]!), 'patchcast_cluster_nodes') === 2,
      NODE_LEASE_MS + 3_000,
      'two nodes alive',
    );
  }, 30_000);
});
