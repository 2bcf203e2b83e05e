/**
 * The done-criteria of "one client": the same sequence of releases gives the same outcomes, acks and
 * rollout decisions through the browser adapter and the Node adapter, on the real relay; rollout
 * membership for 1,000 client ids, each kept in the adapter's own cache, is identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRollback } from '../../publisher/build.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { generateSigningKey, type SigningKey } from '../../protocol/crypto.ts';
import type { Ack } from '../../protocol/messages.ts';
import { inRollout } from '../../protocol/rollout.ts';
import type { BuiltRelease } from '../../publisher/build.ts';
import { startTestServer, TestRoom, type TestServer } from '../../signaling/testing/helpers.ts';
import type { AppliedDetail } from '../../player/core/status.ts';
import { adapters } from './helpers/adapters.ts';
import { startMeddler, type Meddler } from './helpers/meddler.ts';
import {
  game,
  nextApplied,
  publish as publishTo,
  release,
  ROOM,
  script,
  texture,
  theme,
  until,
} from './helpers/suite.ts';

let relay: TestServer;
let key: SigningKey;
const meddlers: Meddler[] = [];

beforeAll(async () => {
  relay = await startTestServer();
  key = await generateSigningKey();
});

afterAll(async () => {
  for (const m of meddlers) await m.close();
  await relay.dispose();
});

describe('the browser and the Node adapter decide alike', () => {
  it('the same releases give the same outcomes, acks and rollout decisions', async () => {
    const players = await Promise.all(
      adapters.map(async (adapter) => {
        const meddler = await startMeddler(relay);
        meddlers.push(meddler);
        // The same returning player on both platforms: the same client id, from each one's cache.
        const cache = await adapter.cacheWithClientId('p-0123456789ab');
        const g = game();
        const made = adapter.client(meddler, cache, {
          room: ROOM,
          publicKey: key.publicKey,
          handlers: g.handlers,
        });
        const applied: AppliedDetail[] = [];
        made.client.on('applied', (d) => applied.push(d));
        await made.client.start();
        await until(() => made.client.status().mode === 'relay');
        return { adapter: adapter.name, meddler, g, applied, ...made };
      }),
    );
    const publish = async (built: BuiltRelease) => {
      const seq = built.signed.release.seq;
      const all = Promise.all(players.map((p) => nextApplied(p.client, (d) => d.seq === seq)));
      await publishTo(relay, built, key.publicKey);
      await all;
    };
    const r1 = await release(key, null, {
      logic: script('export function update(b) { return b; }', '1'),
      theme: theme('#102030', '1'),
      background: { ...(await texture(4_000, '1')), rolloutPercent: 50 },
    });
    await publish(r1);
    const r2 = await release(key, r1.signed.release, { logic: script('// FAIL', '2') });
    await publish(r2);
    const r3 = await release(key, r2.signed.release, {
      legacy: { kind: 'script', lang: 'python', bytes: utf8('print(3)'), version: '3' },
      background: { ...(await texture(4_000, '3')), rolloutPercent: 30 },
      theme: { ...theme('#303030', '3'), rolloutPercent: 70 },
    });
    await publish(r3);
    const r4 = await buildRollback({ current: r3.signed.release, target: r1.signed.release, key });
    await publish({ signed: r4, blobs: new Map() });

    const acksOf = (acks: readonly Ack[]) => acks.map((a) => [a.seq, a.slot, a.status, a.error ?? null]);
    await until(() => players.every((p) => p.meddler.acks.length === players[0]!.meddler.acks.length));
    const [browser, node] = players;
    expect(acksOf(node!.meddler.acks)).toEqual(acksOf(browser!.meddler.acks));
    expect(node!.applied).toEqual(browser!.applied);
    expect(node!.g.applied).toEqual(browser!.g.applied);
    expect(node!.client.status().slots).toEqual(browser!.client.status().slots);
    for (const r of [r1.signed.release, r3.signed.release]) {
      expect(await node!.client.rolloutDecisions(r)).toEqual(await browser!.client.rolloutDecisions(r));
    }
    // And what they decided is the protocol's rule.
    for (const [name, slot] of Object.entries(r3.signed.release.slots)) {
      const taken = await inRollout('p-0123456789ab', name, slot.sha256, slot.rollout?.percent);
      expect((await browser!.client.rolloutDecisions(r3.signed.release))[name]).toBe(taken);
    }
    for (const p of players) p.close();
  });

  it('rollout membership for 1,000 client ids is identical through both adapters', async () => {
    const room = await TestRoom.create(relay.url, 'rollout');
    const built = await room.build({
      slots: { background: { ...(await texture(2_000, 'r')), rolloutPercent: 10 } },
    });
    const rel = built.signed.release;
    const meddler = await startMeddler(relay);
    meddlers.push(meddler);
    const members: Record<string, string[]> = {};
    for (const adapter of adapters) {
      members[adapter.name] = [];
      for (let i = 0; i < 1_000; i++) {
        const id = `p-${i.toString(16).padStart(12, '0')}`;
        const { client, close } = adapter.client(meddler, await adapter.cacheWithClientId(id), {
          room: 'rollout',
          publicKey: room.key.publicKey,
          handlers: {},
        });
        // The id comes out of the adapter's own cache (never started: no connection needed).
        expect(await client.ownClientId()).toBe(id);
        if ((await client.rolloutDecisions(rel))['background']) members[adapter.name]!.push(id);
        close();
      }
    }
    expect(members['node']).toEqual(members['browser']);
    // About a tenth of the players, not all or none.
    expect(members['node']!.length).toBeGreaterThan(60);
    expect(members['node']!.length).toBeLessThan(140);
  }, 120_000);
});
