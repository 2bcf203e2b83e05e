/**
 * Adoption that tells the truth, with a real relay and headless players: a failing script shows as
 * failed — with what the players run instead — in the relay's counts, `patchcast status`, the roster
 * and the players' own status; the counts survive the next release and a relay restart; admin tools
 * are not counted; labels are unique per room; a release that keeps a failed slot is warned about
 * or reverted.
 */
// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/index.ts';
import { RelayError } from '../../publisher/errors.ts';
import { publishChanges } from '../../publisher/publisher.ts';
import { adoptionOf } from '../../publisher/guarded.ts';
import { TestRoom, until } from '../../signaling/testing/helpers.ts';
import {
  GOOD,
  Players,
  Relay,
  THROWS,
  THROWS_LATER,
  keyFileOf,
  newestAdoption,
  publisherOf,
  script,
} from './helpers.ts';
import { runCli, type CliResult } from '../../signaling/testing/cli-run.ts';

let relay: Relay;
let room: TestRoom;
let players: Players;

beforeEach(async () => {
  relay = await Relay.start();
  room = await TestRoom.create(relay.server.url, 'adopt');
  players = new Players(relay, room);
});
afterEach(async () => {
  players.close();
  await relay.dispose();
});

function cli(...argv: string[]): Promise<CliResult> {
  return runCli({ server: relay.server.url, anonymous: true }, argv);
}

describe('adoption', { timeout: 90_000 }, () => {
  it('counts a script that throws as failed everywhere, with what the players run instead', async () => {
    const three = await players.add(3);
    await Promise.all(three.map((p) => p.waitForSeq(1, 30_000)));
    const ctx = publisherOf(relay, room);
    const bad = await publishChanges(ctx, { changes: [script(THROWS)], version: '1.1.0' });
    const seq = bad.published.seq;

    // The relay's counts: 3 failed logic, running 1.0.0 instead; nobody is on the newest release.
    const a = await newestAdoption(relay, 'adopt', (x) => x.seq === seq && x.slots['logic']?.failed === 3);
    expect(a.slots['logic']).toMatchObject({ applied: 0, failed: 3, skipped: 0, pending: 0 });
    expect(a.slots['logic']?.running).toEqual([expect.objectContaining({ version: '1.0.0', count: 3 })]);
    expect(a.slots['theme']).toMatchObject({ applied: 3, failed: 0 });
    expect(a).toMatchObject({ players: 3, complete: 0, failing: 3 });

    // The players' own status: the failure, with its release and what runs instead.
    for (const p of three) {
      const s = p.client.status();
      expect(s.slots['logic']?.version).toBe('1.0.0');
      expect(s.lastFailure).toMatchObject({ seq, release: '1.1.0', slot: 'logic', version: '1.1.0' });
      expect(s.lastFailure?.running?.version).toBe('1.0.0');
      expect(s.lastFailure?.error).toContain('boom: bad patch');
    }

    // `patchcast status --json`: the newest release as { seq, slots: { logic: { applied, failed, … } } },
    // and the status command itself (an admin tool) is not a player.
    const json = await cli('status', '--room', 'adopt', '--json');
    expect(json.code).toBe(0);
    const status = JSON.parse(json.out) as { seq: number; slots: Record<string, unknown>; players: number };
    expect(status.seq).toBe(seq);
    expect(status.slots['logic']).toMatchObject({ applied: 0, failed: 3, skipped: 0, pending: 0 });
    expect(status.players).toBe(3);
    const text = await cli('status', '--room', 'adopt');
    expect(text.out).toMatch(
      /logic: applied 0, failed 3 \(running 1\.0\.0 × 3 instead\), skipped 0, pending 0/,
    );
    expect(text.out).toMatch(/0 of 3 player\(s\) applied every slot/);

    // The roster: each player's logic slot is failed, and says what it runs instead.
    const keyFile = await keyFileOf(room);
    const roster = await cli('status', '--room', 'adopt', '--key', keyFile, '--json');
    const clients = (
      JSON.parse(roster.out) as { clients: { role: string; slots: Record<string, unknown> }[] }
    ).clients;
    const logic = clients.filter((c) => c.role === 'player').map((c) => c.slots['logic']);
    expect(logic).toHaveLength(3);
    for (const slot of logic)
      expect(slot).toMatchObject({ status: 'failed', version: '1.1.0', running: { version: '1.0.0' } });
    expect((JSON.parse(roster.out) as { players: number }).players).toBe(3);
  });

  it('counts a failure at run time too, and keeps the counts past the next release and a restart', async () => {
    const two = await players.add(2);
    await Promise.all(two.map((p) => p.waitForSeq(1, 30_000)));
    const ctx = publisherOf(relay, room);
    const late = await publishChanges(ctx, { changes: [script(THROWS_LATER)], version: '1.2.0' });
    const a = await newestAdoption(relay, 'adopt', (x) => x.slots['logic']?.failed === 2);
    expect(a.seq).toBe(late.published.seq);
    expect(a.slots['logic']?.running[0]).toMatchObject({ version: '1.0.0', count: 2 });
    for (const p of two) expect(p.client.status().lastFailure?.error).toContain('boom later');

    // A new release: the old one keeps its counts.
    const next = await publishChanges(ctx, { changes: [script(GOOD)], version: '1.3.0' });
    await newestAdoption(
      relay,
      'adopt',
      (x) => x.seq === next.published.seq && x.slots['logic']?.applied === 2,
    );
    // …and a good release clears the players' failure.
    for (const p of two) await until(() => p.client.status().lastFailure === null);
    await relay.server.relay.adoption.flush();

    players.close();
    await relay.restart();
    const after = await adoptionOf(publisherOf(relay, room).api, 'adopt');
    const old = after.find((r) => r.seq === late.published.seq);
    expect(old?.slots['logic']).toMatchObject({ failed: 2, pending: 0 });
    expect(after[0]).toMatchObject({ seq: next.published.seq, complete: 2 });
    expect(after[0]?.slots['logic']).toMatchObject({ applied: 2, pending: 0 });
  });

  it('counts players pending until they answer, never admin tools', async () => {
    const ctx = publisherOf(relay, room);
    const [p] = await players.add(1);
    await p!.waitForSeq(1, 30_000);
    // An admin page's roster socket is open the whole time (what `status --key` opens).
    const keyFile = await keyFileOf(room);
    await cli('status', '--room', 'adopt', '--key', keyFile);
    const a = await newestAdoption(relay, 'adopt', (x) => x.players === 1);
    expect(a).toMatchObject({ complete: 1, failing: 0 });
    await publishChanges(ctx, { changes: [script(GOOD)], version: '2.0.0' });
    const b = await newestAdoption(relay, 'adopt', (x) => x.version === '2.0.0' && x.complete === 1);
    expect(b.players).toBe(1);
  });

  it('refuses a label the room used for other content (DUPLICATE_VERSION), and proposes an unused one', async () => {
    const ctx = publisherOf(relay, room);
    await publishChanges(ctx, { changes: [script(GOOD)], version: '1.0.1' });
    const again = publishChanges(ctx, { changes: [script(`${GOOD}\n// other`)], version: '1.0.1' });
    await expect(again).rejects.toMatchObject({ code: ErrorCode.DUPLICATE_VERSION });
    await expect(again).rejects.toBeInstanceOf(RelayError);
    // The same label for the same content is fine (a rollback keeps its target's label).
    const back = await cli('rollback', '--room', 'adopt', '--key', await keyFileOf(room), '--to-seq', '1');
    expect(back.code).toBe(0);
    expect(back.out).toMatch(/version 1\.0\.0/);
    // Without a label, the next unused one.
    const next = await publishChanges(ctx, { changes: [script(`${GOOD}\n// third`)] });
    expect(next.published.version).toBe('1.0.2');
  });

  it('warns when a release keeps a slot that failed on players, and reverts it with --revert-failed', async () => {
    const two = await players.add(2);
    await Promise.all(two.map((p) => p.waitForSeq(1, 30_000)));
    const ctx = publisherOf(relay, room);
    await publishChanges(ctx, { changes: [script(THROWS)], version: '1.1.0' });
    await newestAdoption(relay, 'adopt', (x) => x.slots['logic']?.failed === 2);
    const keyFile = await keyFileOf(room);
    const warned = await cli('publish', '--room', 'adopt', '--key', keyFile, '--color', '#223344');
    expect(warned.code).toBe(0);
    expect(warned.err).toMatch(/warning: slot logic 1\.1\.0 failed on 2 of 2 player\(s\).*keeps it/);
    expect(warned.err).toMatch(/--revert-failed/);
    await newestAdoption(
      relay,
      'adopt',
      (x) => x.slots['logic']?.failed === 2 && x.slots['theme']?.applied === 2,
    );
    const reverted = await cli(
      'publish',
      '--room',
      'adopt',
      '--key',
      keyFile,
      '--color',
      '#334455',
      '--revert-failed',
    );
    expect(reverted.code).toBe(0);
    expect(reverted.err).toMatch(/reverting slot logic/);
    expect(reverted.out).toMatch(/changed: .*logic/);
    const latest = await publisherOf(relay, room).api.latest('adopt');
    expect(latest?.release.slots['logic']?.sha256).toBe(room.latest?.release.slots['logic']?.sha256);
    const ok = await newestAdoption(relay, 'adopt', (x) => x.complete === 2);
    expect(ok.slots['logic']).toMatchObject({ applied: 2, failed: 0 });
  });
});
