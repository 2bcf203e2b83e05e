/**
 * Guarded rollouts with a real relay and headless players: a good plan reaches 100 % by itself (from
 * the CLI, which prints its progress); a plan whose script fails on its first players halts at the
 * first step within one dwell — the exposed players run the previous script again, the others never
 * fetched the bad one; a relay restart mid-plan resumes it; a halt left over from a finished plan is
 * refused by players.
 */
// @vitest-environment node
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acceptRelease } from '../../protocol/index.ts';
import { adoptionOf, publishGuarded, planOf } from '../../publisher/guarded.ts';
import { main } from '../../signaling/cli/main.ts';
import type { Io } from '../../signaling/cli/io.ts';
import { AdoptionFileSchema } from '../../signaling/store/adoption-files.ts';
import { StoredPlanSchema } from '../../signaling/store/plan-files.ts';
import { TestRoom, until } from '../../signaling/testing/helpers.ts';
import * as v from 'valibot';
import {
  GOOD,
  Players,
  Relay,
  THROWS,
  keyFileOf,
  newestAdoption,
  publisherOf,
  script,
  splitting,
} from './helpers.ts';

const N = 6;
let relay: Relay;
let room: TestRoom;
let players: Players;

beforeEach(async () => {
  relay = await Relay.start();
  room = await TestRoom.create(relay.server.url, 'guard');
  players = new Players(relay, room);
  await Promise.all((await players.add(N, 0)).map((p) => p.waitForSeq(1, 30_000)));
}, 60_000);
afterEach(async () => {
  players.close();
  await relay.dispose();
});

async function storedPlan() {
  return v.parse(
    StoredPlanSchema,
    JSON.parse(await readFile(join(relay.dataDir, 'plans', 'guard.json'), 'utf8')),
  );
}

describe('guarded rollouts', { timeout: 120_000 }, () => {
  it('reaches 100 % by itself from the CLI, and a halt left over from it is refused by players', async () => {
    const { source } = await splitting(players.all, GOOD, 25);
    const file = join(relay.dataDir, 'good.js');
    await writeFile(file, source);
    const out: string[] = [];
    const io: Io = {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      env: { PATCHCAST_SERVER: relay.server.url },
    };
    const argv = ['publish', '--room', 'guard', '--key', await keyFileOf(room), '--script', file];
    const code = await main([...argv, '--steps', '25,100', '--dwell', '1500ms', '--halt-above', '0%'], io);
    expect(out.join('\n')).toMatch(/step 1\/2 \(25%/);
    expect(out.join('\n')).toMatch(/done, step 2\/2 \(100%/);
    expect(code).toBe(0);
    const plan = await storedPlan();
    const last = plan.steps.at(-1)!.signed.release.seq;
    const a = await newestAdoption(relay, 'guard', (x) => x.seq === last && x.complete === N);
    expect(a.slots['logic']).toMatchObject({ applied: N, failed: 0, skipped: 0, pending: 0 });

    // The halt was never used: its seq is below the last step's, so every player refuses it…
    expect(plan.halt.release.seq).toBe(last - 1);
    const refused = await players.all[0]!.client.offerRelease(plan.halt);
    expect(refused).toMatchObject({ ok: false, code: 'STALE_SEQ' });
    // …and it expires with the plan: even a player that never saw the last step refuses it then.
    const later = await acceptRelease({
      candidate: plan.halt,
      room: 'guard',
      trustedKeys: new Map([[room.key.keyId, room.key.publicKey]]),
      current: { seq: 1 },
      now: plan.deadline + 1,
    });
    expect(later).toMatchObject({ ok: false, code: 'EXPIRED' });
    // The next release of the publisher goes above both.
    const next = await main([...argv.slice(0, 5), '--color', '#102938'], io);
    expect(next).toBe(0);
    expect(out.at(-1)).toMatch(new RegExp(`seq ${last + 1} `));
  });

  it('halts at the first step within one dwell when the script fails on its first players', async () => {
    const dwellMs = 2000;
    const { source, exposed } = await splitting(players.all, THROWS, 25);
    const before = new Map(
      players.all.map((p) => [p.client.status().clientId!, p.client.status().bytesFromRelay]),
    );
    const ctx = publisherOf(relay, room);
    const outcome = await publishGuarded(
      ctx,
      { changes: [script(source)], version: '2.0.0' },
      {
        steps: [25, 100],
        dwellMs,
        haltAbove: 0.02,
      },
    );
    let plan = outcome.plan;
    await until(async () => (plan = (await planOf(ctx.api, 'guard'))!).status !== 'running', 30_000);
    expect(plan.status).toBe('halted');
    expect(plan.step).toBe(0);
    // It never went past step 1, and it halted as soon as the first failure reached the relay — well
    // within one dwell of it (on a loaded machine a player may take seconds to fetch and try the
    // script; the step waits for it).
    const halted = Date.parse(plan.endedAt!);
    await relay.server.relay.adoption.flush();
    const file = join(
      relay.dataDir,
      'adoption',
      'guard',
      `${String(outcome.published.seq).padStart(12, '0')}.json`,
    );
    const reports = v.parse(AdoptionFileSchema, JSON.parse(await readFile(file, 'utf8')));
    const failedAt = Object.values(reports.clients).flatMap((slots) =>
      slots['logic']?.status === 'failed' ? [slots['logic'].at] : [],
    );
    expect(failedAt).toHaveLength(exposed.length);
    expect(halted - Math.min(...failedAt)).toBeLessThan(Math.min(2000, dwellMs));
    expect(plan.reason).toMatch(/exposed players failed/);

    // Every player ends on the halt: the exposed ones run the previous script again, the others never
    // fetched the bad one (skipped at step 1, and not a byte of it from the relay).
    await Promise.all(players.all.map((p) => p.waitForSeq(plan.haltSeq, 30_000)));
    for (const p of players.all) {
      const s = p.client.status();
      expect(s.slots['logic']?.version).toBe('1.0.0');
      const id = s.clientId!;
      if (exposed.includes(id)) expect(s.lastFailure).toBeNull();
      else expect(s.bytesFromRelay - before.get(id)!).toBeLessThan(source.length);
    }
    const step1 = (await adoptionOf(ctx.api, 'guard')).find((r) => r.seq === outcome.published.seq);
    expect(step1?.slots['logic']).toMatchObject({ failed: exposed.length, skipped: N - exposed.length });
    // The last step, pre-signed, was never published: the relay reserved its seq for the next release.
    const history = await ctx.api.history('guard');
    expect(history[0]?.release.seq).toBe(plan.haltSeq);
    expect(await ctx.api.lastSeq('guard')).toBe(plan.haltSeq + 1);
    // `patchcast status` tells the story.
    const out: string[] = [];
    const io: Io = {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      env: { PATCHCAST_SERVER: relay.server.url },
    };
    await main(['status', '--room', 'guard'], io);
    expect(out.join('\n')).toMatch(/last guarded rollout: plan \d+: halted, step 1\/2/);
  });

  it('resumes a plan after a relay restart', async () => {
    const { source } = await splitting(players.all, GOOD, 25);
    const ctx = publisherOf(relay, room);
    const outcome = await publishGuarded(
      ctx,
      { changes: [script(source)], version: '3.0.0' },
      {
        steps: [25, 50, 100],
        dwellMs: 1500,
        haltAbove: 0,
      },
    );
    expect(outcome.plan.status).toBe('running');
    await relay.restart();
    let plan = outcome.plan;
    await until(
      async () => (plan = (await planOf(publisherOf(relay, room).api, 'guard'))!).status !== 'running',
      30_000,
    );
    expect(plan.status).toBe('done');
    const last = plan.steps.at(-1)!.seq;
    await Promise.all(players.all.map((p) => p.waitForSeq(last, 30_000)));
    const a = await newestAdoption(relay, 'guard', (x) => x.seq === last && x.complete === N);
    expect(a.slots['logic']).toMatchObject({ applied: N });
  });
});
