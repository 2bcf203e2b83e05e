import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStore } from 'idb-keyval';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { idbCache } from '../cache/cache.ts';
import { PatchClient } from '../client/patch-client.ts';
import { startMiniRelay, type MiniRelay } from '../client/testing/mini-relay.ts';
import { PlayerSwarm } from './player-swarm.ts';

let relay: MiniRelay;
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
  relay = await startMiniRelay({ heartbeatMs: 1_000 });
});

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await relay.close();
});

describe('PlayerSwarm', () => {
  it('withdraws its peer id from the relay when PeerJS cannot start', async () => {
    // The mini relay has no PeerJS server: the swarm fails, and the relay must stop listing us.
    const swarm = new PlayerSwarm({ server: relay.url, openTimeoutMs: 300 });
    const client = new PatchClient({
      room: 'demo',
      publicKey: (await generateSigningKey()).publicKey,
      server: relay.url,
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
    expect(relay.hellos[0]?.peerId).toBe(swarm.id);
    await swarm.start();
    expect(swarm.info().state).toBe('failed');
    await until(() => relay.hellos.length === 2);
    expect(relay.hellos[1]).not.toHaveProperty('peerId');
  });
});
