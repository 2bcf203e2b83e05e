// @vitest-environment node
/**
 * PeerJS routing between two nodes' stores on a real Redis, with the PeerJS side played by hand: a
 * peer that just opened on one node may be sent an OFFER from another before its node's claim is in
 * Redis. The message waits for the claim (in order with what its sender sends after it) rather than
 * going to the local PeerJS server, which would report the peer unavailable.
 */
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { PeerJsEndpoint } from '../transports/peerjs.ts';
import { startRedis, type TestRedis } from '../testing/cluster.ts';
import { until } from '../testing/helpers.ts';
import { CLAIM_WAITS_MS, PeerRoute } from './peer-route.ts';
import { ClusterStore } from './redis-store.ts';

/** One node: its store, its route, and a PeerJS endpoint whose clients the test connects. */
interface Node {
  readonly store: ClusterStore;
  readonly route: PeerRoute;
  readonly app: EventEmitter;
  readonly endpoint: { intercept: PeerJsEndpoint['intercept'] };
}

/** A PeerJS client's socket: what was sent to it. */
function fakeSocket(): WebSocket & { sent: string[] } {
  const sent: string[] = [];
  return { sent, OPEN: 1, readyState: 1, send: (m: string) => sent.push(m) } as unknown as WebSocket & {
    sent: string[];
  };
}

let redis: TestRedis;
const nodes: Node[] = [];

async function node(prefix: string): Promise<Node> {
  const store = await ClusterStore.open({ url: redis.url, prefix });
  const app = new EventEmitter();
  const endpoint: Node['endpoint'] = { intercept: null };
  const route = new PeerRoute(store, Object.assign(endpoint, { app }) as unknown as PeerJsEndpoint);
  const n = { store, route, app, endpoint };
  nodes.push(n);
  return n;
}

/** A PeerJS peer `id` connects to `n`; its socket. */
function connect(n: Node, id: string): WebSocket & { sent: string[] } {
  const socket = fakeSocket();
  n.app.emit('connection', { getId: () => id, getSocket: () => socket });
  return socket;
}

/** `from` sends a PeerJS message through `n`: taken over by the route, or passed to PeerJS. */
function send(n: Node, from: WebSocket, message: object, passed: () => void): boolean {
  return n.endpoint.intercept!(from, JSON.stringify(message), passed);
}

beforeAll(async () => {
  redis = await startRedis();
}, 30_000);

afterAll(async () => {
  for (const n of nodes) {
    n.route.close();
    await n.store.close();
  }
  await redis?.dispose();
});

describe('PeerJS messages across nodes', () => {
  it('waits for the claim of a peer that opened on another node a moment ago, keeping the order', async () => {
    const prefix = `t1:${Date.now()}:`;
    const [a, b] = [await node(prefix), await node(prefix)];
    const sender = connect(a, 'sender');
    let passed = 0;
    // The OFFER leaves before the destination's node has claimed it…
    expect(send(a, sender, { type: 'OFFER', dst: 'late', payload: { n: 1 } }, () => passed++)).toBe(true);
    expect(send(a, sender, { type: 'CANDIDATE', dst: 'late', payload: { n: 2 } }, () => passed++)).toBe(true);
    await new Promise((wake) => setTimeout(wake, 5));
    // …which it does now (as PeerJS tells the peer OPEN, the claim is on its way to Redis).
    const late = connect(b, 'late');
    await until(() => late.sent.length === 2, 3_000, 'both messages delivered on the other node');
    expect(late.sent.map((m) => JSON.parse(m) as object)).toEqual([
      { type: 'OFFER', src: 'sender', dst: 'late', payload: { n: 1 } },
      { type: 'CANDIDATE', src: 'sender', dst: 'late', payload: { n: 2 } },
    ]);
    expect(passed).toBe(0);
    expect(a.route.counts.sent).toBe(2);
  }, 20_000);

  it('hands a message for a peer no node holds to the local PeerJS server after the waits', async () => {
    const prefix = `t2:${Date.now()}:`;
    const a = await node(prefix);
    const sender = connect(a, 'sender');
    const started = performance.now();
    const passedAt = new Promise<number>((done) => {
      send(a, sender, { type: 'OFFER', dst: 'nobody', payload: {} }, () => done(performance.now()));
    });
    const waited = (await passedAt) - started;
    const waits = CLAIM_WAITS_MS.reduce((sum, ms) => sum + ms, 0);
    expect(waited).toBeGreaterThanOrEqual(waits - 5);
    expect(waited).toBeLessThan(waits + 2_000);
    // The next message for it (a candidate right behind the offer) does not wait all over again.
    const again = performance.now();
    await new Promise<void>((done) => {
      send(a, sender, { type: 'CANDIDATE', dst: 'nobody', payload: {} }, () => done());
    });
    expect(performance.now() - again).toBeLessThan(CLAIM_WAITS_MS[0]! + 100);
    expect(a.route.counts.sent).toBe(0);
  }, 20_000);

  it('passes a message for a peer that connects to the same node meanwhile to its PeerJS server', async () => {
    const prefix = `t3:${Date.now()}:`;
    const a = await node(prefix);
    const sender = connect(a, 'sender');
    let passed = 0;
    send(a, sender, { type: 'OFFER', dst: 'here-soon', payload: {} }, () => passed++);
    connect(a, 'here-soon');
    await until(() => passed === 1, 3_000, 'passed to the local PeerJS server');
    expect(a.route.counts.sent).toBe(0);
  }, 20_000);
});
