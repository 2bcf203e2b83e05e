// @vitest-environment node
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore } from 'idb-keyval';
import WebSocket from 'ws';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { browserPatchClient } from '../browser/browser-client.ts';
import { idbCache } from '../browser/idb-cache.ts';
import type { Welcome } from '../../protocol/messages.ts';
import { RawConn, startTestServer, type TestServer } from '../../signaling/testing/helpers.ts';
import { openNodePeer } from '../node/node-peer.ts';
import { startMeddler, type Meddler } from '../../tests/client/helpers/meddler.ts';
import { PlayerSwarm } from './player-swarm.ts';

if (!('WebSocket' in globalThis)) Object.assign(globalThis, { WebSocket });

let relay: TestServer;
let meddler: Meddler;
const closers: (() => void)[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

/** A relay (behind a meddler that records what players say): with an egress limit it may defer. */
async function startRelay(egressBytesPerSecond: number | null): Promise<void> {
  relay = await startTestServer({ hub: { egressBytesPerSecond } });
  meddler = await startMeddler(relay);
}

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await meddler.close();
  await relay.dispose();
});

/** A patch client of room `demo` with the swarm plugged in, started (on `servers`, in turn). */
async function startClient(swarm: PlayerSwarm, name: string, servers?: readonly string[]) {
  const client = browserPatchClient({
    room: 'demo',
    publicKey: (await generateSigningKey()).publicKey,
    server: servers?.[0] ?? meddler.url,
    ...(servers ? { servers } : {}),
    handlers: {},
    cache: idbCache(createStore(`swarm-test-${name}`, 'cache')),
    backoff: { initialMs: 20, maxMs: 100 },
    ...swarm.clientOptions(),
  });
  swarm.bind(client);
  closers.push(
    () => client.close(),
    () => swarm.stop(),
  );
  await client.start();
  return client;
}

describe('PlayerSwarm', () => {
  it('registers with PeerJS only once links are wanted: never while the relay serves at once', async () => {
    await startRelay(null);
    let opens = 0;
    const swarm = new PlayerSwarm({
      server: meddler.url,
      openPeer: async () => {
        opens++;
        throw new Error('not wanted here');
      },
    });
    const client = await startClient(swarm, 'lazy');
    await swarm.start();
    await until(() => client.status().mode === 'relay' && meddler.hellos.length === 1);
    await sleep(200);
    // The id is said (the relay lists it only once registered), but no signaling socket is opened.
    expect(meddler.hellos[0]?.peerId).toBe(swarm.id);
    expect(opens).toBe(0);
    expect(swarm.info().state).toBe('idle');
    await swarm.settled();
    expect(opens).toBe(0);
  });

  it('registers with PeerJS at once when the relay may defer (`welcome.defers`)', async () => {
    await startRelay(1 << 20);
    let opens = 0;
    const swarm = new PlayerSwarm({
      server: meddler.url,
      openPeer: async () => {
        opens++;
        throw new Error('WebRTC is blocked here');
      },
    });
    await startClient(swarm, 'defers');
    await swarm.start();
    await until(() => opens === 1);
    await swarm.settled();
    expect(swarm.info().state).toBe('failed');
  });

  it('registers with the relay it failed over to, not the first address', async () => {
    // The first address is down; the second relay may defer, so links are wanted once it welcomes
    // us: PeerJS must register there (the first relay's PeerJS server is not where our peers are).
    await startRelay(1 << 20);
    const down = await startTestServer();
    const downUrl = down.url;
    await down.dispose();
    const registeredAt: number[] = [];
    let client: ReturnType<typeof browserPatchClient> | null = null;
    const swarm = new PlayerSwarm({
      server: () => client?.currentServer() ?? downUrl,
      openPeer: async (signaling) => {
        registeredAt.push(signaling.port);
        throw new Error('no WebRTC in this test');
      },
    });
    client = await startClient(swarm, 'failover', [downUrl, meddler.url]);
    await swarm.start();
    await until(() => registeredAt.length === 1);
    expect(registeredAt).toEqual([Number(new URL(meddler.url).port)]);
  });

  it('registers again with the relay it fails over to after it had registered with the first', async () => {
    // Both relays may defer: links are wanted at once. Registered with the first (real PeerJS, on its
    // `/peerjs`), the player fails over when it goes; a PeerJS peer can't change servers, so a new
    // one must register with the second, where the players that may dial us are.
    await startRelay(1 << 20);
    const first = await startTestServer({ hub: { egressBytesPerSecond: 1 << 20 } });
    const portOf = (url: string) => Number(new URL(url).port);
    const registeredAt: number[] = [];
    let client: ReturnType<typeof browserPatchClient> | null = null;
    const swarm = new PlayerSwarm({
      server: () => client?.currentServer() ?? first.url,
      openPeer: async (signaling, id, iceServers, timeoutMs) => {
        registeredAt.push(signaling.port);
        return openNodePeer(signaling, id, iceServers, timeoutMs);
      },
    });
    client = await startClient(swarm, 'again', [first.url, relay.url]);
    await swarm.start();
    await until(() => swarm.info().state === 'open');
    expect(registeredAt).toEqual([portOf(first.url)]);
    await first.dispose();
    await until(() => registeredAt.length === 2 && swarm.info().state === 'open', 10_000);
    expect(registeredAt).toEqual([portOf(first.url), portOf(relay.url)]);
    expect(client.currentServer()).toBe(relay.url);
    // The second relay has our id on its PeerJS server now: it lists us to the room's players.
    const raw = await RawConn.open(relay, 'tcp');
    raw.hello({ clientId: 'watcher', room: 'demo', seq: 0 });
    const welcome = (await raw.next('welcome')) as Welcome;
    raw.close();
    expect(welcome.peers).toContain(swarm.id);
  });

  it('withdraws its peer id from the relay when PeerJS cannot start', async () => {
    // A relay that may defer: links are wanted at once. The platform's PeerJS peer never opens
    // (WebRTC blocked, say): the relay must stop listing us.
    await startRelay(1 << 20);
    const swarm = new PlayerSwarm({
      server: meddler.url,
      openPeer: async () => {
        throw new Error('WebRTC is blocked here');
      },
    });
    const client = await startClient(swarm, 'withdraw');
    await until(() => client.status().mode === 'relay');
    expect(meddler.hellos[0]?.peerId).toBe(swarm.id);
    await swarm.start();
    expect(swarm.info()).toMatchObject({
      state: 'failed',
      lastError: expect.stringContaining('WebRTC is blocked'),
    });
    await until(() => meddler.hellos.length === 2);
    expect(meddler.hellos[1]).not.toHaveProperty('peerId');
  });
});
