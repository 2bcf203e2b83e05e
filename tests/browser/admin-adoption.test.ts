/**
 * The admin's Dashboard and History show the relay's honest counts, in real Chromium: a script that
 * throws on three Node players shows as failed — with the version they run instead — per slot, and a
 * guarded rollout that halted shows on the Dashboard. Also makes the README's screenshots
 * (`docs/images/admin-dashboard-adoption.png`, `docs/images/admin-history-adoption.png`).
 */
// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { publishChanges } from '../../publisher/publisher.ts';
import { publishGuarded } from '../../publisher/guarded.ts';
import { TestRoom, until } from '../../signaling/testing/helpers.ts';
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
} from '../adoption/helpers.ts';
import { launchChromium } from './helpers/admin-env.ts';

let relay: Relay;
let room: TestRoom;
let players: Players;
let browser: BrowserContext;

beforeAll(async () => {
  relay = await Relay.start('dist');
  room = await TestRoom.create(relay.server.url, 'arcade');
  players = new Players(relay, room);
  await Promise.all((await players.add(3, 0)).map((p) => p.waitForSeq(1, 30_000)));
  browser = await launchChromium();
}, 90_000);
afterAll(async () => {
  await browser?.close();
  players?.close();
  await relay?.dispose();
});

describe('admin: adoption that tells the truth', { timeout: 180_000 }, () => {
  it('shows failed players per slot with what they run instead, and a halted guarded rollout', async () => {
    const ctx = publisherOf(relay, room);
    await publishChanges(ctx, { changes: [script(GOOD)], version: '1.1.0' });
    await newestAdoption(relay, 'arcade', (a) => a.version === '1.1.0' && a.complete === 3);
    const bad = await publishChanges(ctx, { changes: [script(THROWS)], version: '1.2.0' });
    await newestAdoption(
      relay,
      'arcade',
      (a) => a.seq === bad.published.seq && a.slots['logic']?.failed === 3,
    );
    // Back to good, then a guarded rollout of the bad script again: it halts at its first step.
    await publishChanges(ctx, { changes: [script(`${GOOD}\n// 1.3.0`)], version: '1.3.0' });
    await newestAdoption(relay, 'arcade', (a) => a.version === '1.3.0' && a.complete === 3);
    const { source } = await splitting(players.all, THROWS, 50);
    const guarded = await publishGuarded(
      ctx,
      { changes: [script(source)], version: '2.0.0' },
      {
        steps: [50, 100],
        dwellMs: 20_000,
        haltAbove: 0.02,
      },
    );
    await until(async () => (await relay.server.relay.plans.state('arcade'))?.status === 'halted', 60_000);
    await newestAdoption(relay, 'arcade', (a) => a.seq === guarded.plan.haltSeq && a.complete === 3);

    const admin = await browser.newPage();
    admin.on('pageerror', (e) => console.error('pageerror:', e.message));
    await admin.setViewportSize({ width: 1280, height: 900 });
    await admin.goto(relay.server.url);
    await admin.setInputFiles('#import-file', await keyFileOf(room));
    await admin.click('#import-button');
    await admin.waitForSelector('[data-testid=key-id]');

    await admin.goto(`${relay.server.url}/dashboard/`);
    await admin.waitForSelector('#plan [data-testid=plan-status]');
    expect(await admin.textContent('#plan [data-testid=plan-status]')).toBe('halted');
    expect(await admin.textContent('#plan [data-testid=plan-line]')).toMatch(/exposed players failed/);
    await admin.waitForSelector(`#newest-adoption table[data-seq="${guarded.plan.haltSeq}"]`);
    const logicRow = await admin.textContent('#newest-adoption tr[data-slot=logic]');
    expect(logicRow).toMatch(/logic\s*3\s*0/);
    await admin.waitForFunction(() => document.querySelector('#stat-adoption')?.textContent === '100% (3/3)');
    await admin.screenshot({ path: 'docs/images/admin-dashboard-adoption.png', fullPage: true });

    await admin.goto(`${relay.server.url}/history/`);
    await admin.waitForSelector(`tr[data-seq="${bad.published.seq}"] [data-testid=adoption] .adoption`);
    const badRow = admin.locator(
      `tr[data-seq="${bad.published.seq}"] [data-testid=adoption] [data-slot=logic]`,
    );
    expect(await badRow.locator('[data-count=failed]').textContent()).toBe('3 failed');
    expect(await badRow.locator('[data-testid=instead]').textContent()).toMatch(
      /running 1\.1\.0 × 3 instead/,
    );
    const stepRow = admin.locator(
      `tr[data-seq="${guarded.published.seq}"] [data-testid=adoption] [data-slot=logic]`,
    );
    const failed = Number((await stepRow.locator('[data-count=failed]').textContent())?.split(' ')[0]);
    const skipped = Number((await stepRow.locator('[data-count=skipped]').textContent())?.split(' ')[0]);
    expect(failed).toBeGreaterThan(0);
    expect(failed + skipped).toBe(3);
    await admin.screenshot({ path: 'docs/images/admin-history-adoption.png', fullPage: true });
  });
});
