// @vitest-environment node
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStore } from 'idb-keyval';
import WebSocket from 'ws';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { browserPatchClient } from '../browser/browser-client.ts';
import { idbCache } from '../browser/idb-cache.ts';
import { startTestServer, type TestServer } from '../../signaling/testing/helpers.ts';
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

beforeEach(async () => {
  relay = await startTestServer();
  meddler = await startMeddler(relay);
});

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await meddler.close();
  await relay.dispose();
});

describe('PlayerSwarm', () => {
  it('withdraws its peer id from the relay when PeerJS cannot start', async () => {
    // The platform's PeerJS peer never opens (WebRTC blocked, say): the relay must stop listing us.
    const swarm = new PlayerSwarm({
      server: meddler.url,
      openPeer: async () => {
        throw new Error('WebRTC is blocked here');
      },
    });
    const client = browserPatchClient({
      room: 'demo',
      publicKey: (await generateSigningKey()).publicKey,
      server: meddler.url,
      handlers: {},
      cache: idbCache(createStore('swarm-test', 'cache')),
      backoff: { initialMs: 20, maxMs: 100 },
      ...swarm.clientOptions(),
    });
    swarm.bind(client);
    closers.push(
      () => client.close(),
      () => swarm.stop(),
    );
    await client.start();
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
