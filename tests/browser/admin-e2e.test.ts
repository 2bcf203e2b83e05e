/**
 * The admin site end to end, in real Chromium against the real relay (`patchcast serve`) and the real
 * player page: from a fresh profile, generate a key, open the player link, publish a script, a texture
 * and a colour, watch the dashboard and the adoption chart, roll back; a hostile platform string shows
 * as text; the backup publishes from a fresh profile; the Publish page shows nothing of a live release
 * it cannot verify (a stranger's key, a lying relay's swapped script); and `dist/` works from a plain
 * static server.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as v from 'valibot';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { generateSigningKey } from '../../protocol/index.ts';
import { launchChromium, serveStatic, type StaticServer } from './helpers/admin-env.ts';
import { startLyingRelay } from './helpers/lying-relay.ts';
import {
  BROWSER_OPERATOR_TOKEN,
  latestRelease,
  startRelayProcess,
  type RelayProcess,
} from './helpers/relay.ts';

const ROOM = 'e2e-admin';
const PASS = 'e2e backup passphrase';
const work = mkdtempSync(join(tmpdir(), 'admin-e2e-'));

let relay: RelayProcess;
let browser: BrowserContext;
let admin: Page;
let playerLink = '';
let backupFile = '';
const contexts: BrowserContext[] = [];

/** What the player reports through its documented `window.patchcast.status()` (the part used here). */
const PlayerStatusSchema = v.object({
  seq: v.number(),
  slots: v.record(v.string(), v.object({ version: v.string() })),
});

async function playerStatus(page: Page): Promise<v.InferOutput<typeof PlayerStatusSchema> | null> {
  const raw: unknown = await page.evaluate(() => {
    const api: unknown = Reflect.get(window, 'patchcast');
    if (typeof api !== 'object' || api === null) return null;
    const status: unknown = Reflect.get(api, 'status');
    return typeof status === 'function' ? Reflect.apply(status, api, []) : null;
  });
  const parsed = v.safeParse(PlayerStatusSchema, raw);
  return parsed.success ? parsed.output : null;
}

async function liveSeq(): Promise<number> {
  return (await latestRelease(relay.url, ROOM))?.release.seq ?? 0;
}

async function openPublish(page: Page): Promise<void> {
  await page.goto(`${relay.url}/publish/`);
  await page.waitForSelector('.cm-editor');
  await page.waitForFunction(() => !document.querySelector('#current')?.textContent?.includes('Loading'));
}

async function setScript(page: Page, source: string): Promise<void> {
  await page.setInputFiles('#script-file', {
    name: 'logic.js',
    mimeType: 'text/javascript',
    buffer: Buffer.from(source),
  });
  await expect.poll(() => page.locator('.cm-content').textContent()).toContain(source.split('\n')[0]);
}

async function publish(page: Page, version: string): Promise<number> {
  await page.fill('#version', version);
  await page.click('#publish');
  await page.waitForSelector('#publish-status[data-kind=ok], #publish-status[data-kind=error]', {
    timeout: 30_000,
  });
  const kind = await page.getAttribute('#publish-status', 'data-kind');
  if (kind !== 'ok')
    throw new Error(`publish failed: ${await page.locator('#publish-status').textContent()}`);
  return Number(await page.locator('[data-testid=published-seq]').textContent());
}

const BOUNCE = (speed: number) => `// bounce ${speed}
export function update(ball, world, dt) {
  let { x, y, vx, vy, radius } = ball;
  x += vx * dt * ${speed}; y += vy * dt * ${speed};
  if (x < radius || x > world.width - radius) vx = -vx;
  if (y < radius || y > world.height - radius) vy = -vy;
  return { x: Math.min(Math.max(x, radius), world.width - radius), y: Math.min(Math.max(y, radius), world.height - radius), vx, vy, radius };
}
`;

beforeAll(async () => {
  relay = await startRelayProcess();
  browser = await launchChromium();
  contexts.push(browser);
  // The admin creates rooms by publishing their first release: that takes the relay's operator token.
  await browser.addInitScript((token) => {
    if (!localStorage.getItem('patchcast.admin.operatorToken'))
      localStorage.setItem('patchcast.admin.operatorToken', token);
  }, BROWSER_OPERATOR_TOKEN);
  admin = await browser.newPage();
  admin.on('pageerror', (e) => console.error('admin pageerror:', e.message));
});

afterAll(async () => {
  for (const ctx of contexts) await ctx.close();
  await relay?.stop();
});

describe('admin site end to end (real relay, real player)', () => {
  it('generates a key, publishes script, texture and colour that the player applies, and rolls back', async () => {
    await admin.goto(relay.url);
    await admin.fill('#room-input', ROOM);
    await admin.click('#room-form button[type=submit]');
    await admin.click('#generate');
    await admin.waitForSelector('[data-testid=key-id]');
    playerLink = await admin.inputValue('#player-link');
    expect(playerLink).toContain(`room=${ROOM}`);

    // Back the key up now: a later test restores it in a fresh profile.
    await admin.fill('#backup-pass', PASS);
    await admin.fill('#backup-pass2', PASS);
    const [download] = await Promise.all([admin.waitForEvent('download'), admin.click('#backup-button')]);
    backupFile = join(work, 'backup.json');
    await download.saveAs(backupFile);

    // 1. The logic script creates the room.
    await openPublish(admin);
    await setScript(admin, BOUNCE(1));
    const seq1 = await publish(admin, '1.0.0');
    expect(seq1).toBe(1);

    const player = await browser.newPage();
    player.on('pageerror', (e) => console.error('player pageerror:', e.message));
    await player.goto(playerLink);
    await expect
      .poll(async () => (await playerStatus(player))?.slots['logic']?.version, { timeout: 20_000 })
      .toBe('1.0.0');

    // The dashboard shows the player, live.
    const dash = await browser.newPage();
    await dash.goto(`${relay.url}/dashboard/`);
    await expect.poll(() => dash.locator('#roster tr').count(), { timeout: 20_000 }).toBe(1);
    await expect
      .poll(() => dash.getAttribute('#chart', 'data-last-percent'), { timeout: 20_000 })
      .toBe('100');

    // 2. A texture.
    await openPublish(admin);
    // Noise: a PNG over 64 KiB, so it goes up as a raw blob upload before the publish.
    const noise = randomBytes(256 * 128 * 3);
    const png = await sharp(noise, { raw: { width: 256, height: 128, channels: 3 } })
      .png()
      .toBuffer();
    expect(png.length).toBeGreaterThan(64 * 1024);
    await admin.setInputFiles('#texture-file', { name: 'bg.png', mimeType: 'image/png', buffer: png });
    await expect.poll(() => admin.locator('#texture-status').textContent()).toContain('256×128');
    const seq2 = await publish(admin, '1.0.1');
    await expect
      .poll(async () => (await playerStatus(player))?.slots['background']?.version, { timeout: 20_000 })
      .toBe('1.0.1');

    // 3. A colour.
    await openPublish(admin);
    await admin.fill('#theme-background', '#264653');
    await admin.fill('#theme-ball', '#e9c46a');
    const seq3 = await publish(admin, '1.0.2');
    await expect
      .poll(async () => (await playerStatus(player))?.slots['theme']?.version, { timeout: 20_000 })
      .toBe('1.0.2');
    expect([seq2, seq3]).toEqual([2, 3]);

    // A script that throws in the dry run is not published.
    await openPublish(admin);
    await setScript(admin, 'export function update(b) { throw new Error("nope"); }');
    await admin.click('#publish');
    await expect
      .poll(() => admin.locator('#publish-status').textContent(), { timeout: 20_000 })
      .toContain('Not published');
    expect(await admin.locator('[data-testid=dry-error]').textContent()).toContain('nope');
    expect(await liveSeq()).toBe(3);

    // 4. A new script; the dashboard sees the player move to it and the adoption chart moves.
    const samplesBefore = Number(await dash.getAttribute('#chart', 'data-samples'));
    await setScript(admin, BOUNCE(2));
    const seq4 = await publish(admin, '1.1.0');
    await expect
      .poll(async () => (await playerStatus(player))?.slots['logic']?.version, { timeout: 20_000 })
      .toBe('1.1.0');
    await expect
      .poll(() => dash.getAttribute('#chart', 'data-latest-seq'), { timeout: 20_000 })
      .toBe(String(seq4));
    await expect
      .poll(() => dash.getAttribute('#chart', 'data-last-percent'), { timeout: 20_000 })
      .toBe('100');
    expect(Number(await dash.getAttribute('#chart', 'data-samples'))).toBeGreaterThan(samplesBefore);
    const row = dash.locator('#roster tr').first();
    await expect.poll(() => row.textContent(), { timeout: 20_000 }).toContain('1.1.0');
    expect(await row.textContent()).toContain('1.0.1');
    expect(await dash.locator('#by-seq').textContent()).toContain(`seq ${seq4}`);

    // 5. Roll back to seq 3: a new release (seq 5) with seq 3's files; the player returns to 1.0.0 logic.
    await admin.goto(`${relay.url}/history/`);
    await admin.waitForSelector(`tr[data-seq="${seq4}"]`);
    await admin.click(`button[data-seq="${seq3}"]`);
    await admin.waitForSelector('#confirm[open]');
    expect(await admin.locator('#confirm-body').textContent()).toContain('1.0.2 (seq 3)');
    await admin.click('#confirm-ok');
    await expect
      .poll(() => admin.locator('[data-testid=rollback-seq]').textContent(), { timeout: 20_000 })
      .toBe('5');
    await expect
      .poll(async () => (await playerStatus(player))?.slots['logic']?.version, { timeout: 20_000 })
      .toBe('1.0.0');
    expect((await playerStatus(player))?.seq).toBe(5);
    await admin.waitForSelector('tr[data-seq="5"]');
    await player.close();
    await dash.close();
  });

  it('shows a hostile platform string as literal text', async () => {
    const dash = await browser.newPage();
    let alerted = false;
    dash.on('dialog', (d) => {
      alerted = true;
      void d.dismiss();
    });
    await dash.goto(`${relay.url}/dashboard/`);
    const evil = '<img src=x onerror=alert(1)>';
    const ws = new WebSocket(`${relay.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        v: 1,
        room: ROOM,
        role: 'player',
        clientId: 'evil-1',
        platform: evil,
        seq: 0,
      }),
    );
    const cell = dash.locator('td[data-testid=platform]', { hasText: evil });
    await expect.poll(() => cell.count(), { timeout: 20_000 }).toBe(1);
    expect(await cell.textContent()).toBe(evil);
    expect(await dash.locator('#roster img').count()).toBe(0);
    expect(alerted).toBe(false);
    ws.close();
    await dash.close();
  });

  it('restores the backup in a fresh profile and publishes to the same room; a wrong passphrase is refused', async () => {
    const fresh = await launchChromium();
    contexts.push(fresh);
    const page = await fresh.newPage();
    await page.goto(relay.url);
    await page.setInputFiles('#import-file', backupFile);
    await page.fill('#import-pass', 'wrong wrong wrong');
    await page.click('#import-button');
    await expect
      .poll(() => page.locator('#import-status').textContent(), { timeout: 15_000 })
      .toContain('Wrong passphrase');
    await page.fill('#import-pass', PASS);
    await page.click('#import-button');
    await page.waitForSelector('[data-testid=key-id]', { timeout: 15_000 });
    const before = await liveSeq();
    await openPublish(page);
    await page.fill('#theme-ball', '#f4a261');
    const seq = await publish(page, '2.0.0');
    expect(seq).toBe(before + 1);
  });

  it('shows relay content only after verifying it: no script in the editor from a lying relay, and says why', async () => {
    const editors = (page: Page) =>
      page
        .locator('.cm-content')
        .allTextContents()
        .then((t) => t.join('\n'));
    // The first line of the live release's script, as the room key signed it.
    const live = (await latestRelease(relay.url, ROOM))!.release;
    const scriptSlot = Object.values(live.slots).find((slot) => slot.kind === 'script')!;
    const liveScript = (await (await fetch(`${relay.url}/api/blobs/${scriptSlot.sha256}`)).text()).split(
      '\n',
    )[0]!;
    // A fresh profile whose key is not the room's: the live release is signed by a key it does not
    // trust, so nothing of it is shown — no version, no slots, not its script — and the page says why.
    const fresh = await launchChromium();
    contexts.push(fresh);
    const stranger = await fresh.newPage();
    await stranger.goto(relay.url);
    await stranger.fill('#room-input', ROOM);
    await stranger.click('#room-form button[type=submit]');
    await stranger.click('#generate');
    await stranger.waitForSelector('[data-testid=key-id]');
    await openPublish(stranger);
    await stranger.waitForSelector('[data-testid=live-refusal], [data-testid=live-version]');
    await stranger.waitForLoadState('networkidle');
    expect(await editors(stranger)).not.toContain(liveScript);
    expect(await stranger.locator('[data-testid=live-refusal]').textContent()).toBe('UNKNOWN_KEY');
    expect(await stranger.locator('[data-testid=live-unverified]').textContent()).toMatch(
      /which this browser does not trust for room/,
    );
    expect(await stranger.locator('[data-testid=live-version]').count()).toBe(0);

    // The admin's own browser (it holds the room key), pointed at a relay that lies about the live
    // release: its script slot swapped for the liar's script.
    const LIAR = '// LIAR: not what the room key signed';
    const liar = await startLyingRelay(
      relay.url,
      ROOM,
      `${LIAR}\nexport function update(b) { return b; }\n`,
      await generateSigningKey(),
    );
    try {
      await admin.goto(relay.url);
      await admin.evaluate((url) => localStorage.setItem('patchcast.admin.relay', url), liar.url);
      // Honest: the verified release fills the editor (so the checks below can fail).
      await openPublish(admin);
      await admin.waitForSelector('[data-testid=live-version]');
      await expect.poll(() => editors(admin)).toContain(liveScript);
      for (const [mode, code, words] of [
        [
          'bad-signature',
          'BAD_SIGNATURE',
          /its signature does not verify under key .*: it was changed after it was signed/,
        ],
        ['unknown-key', 'UNKNOWN_KEY', /which this browser does not trust for room/],
      ] as const) {
        liar.mode = mode;
        await openPublish(admin);
        // Whatever the page shows of the live release, its fetches are over: the editors are final.
        await admin.waitForSelector('[data-testid=live-refusal], [data-testid=live-version]');
        await admin.waitForLoadState('networkidle');
        const text = await editors(admin);
        expect(text).not.toContain(LIAR);
        expect(text).not.toContain(liveScript);
        expect(await admin.locator('[data-testid=live-refusal]').textContent()).toBe(code);
        expect(await admin.locator('[data-testid=live-unverified]').textContent()).toMatch(words);
        expect(await admin.locator('[data-testid=live-version]').count()).toBe(0);
        // The version field proposes nothing from the relay's label either.
        expect(await admin.inputValue('#version')).toBe('1.0.0');
      }
    } finally {
      await admin.evaluate(() => localStorage.removeItem('patchcast.admin.relay'));
      await liar.close();
    }
  });

  it('works as plain files from a static server under a sub-path, pointed at the relay', async () => {
    const out = join(work, 'static-dist');
    execFileSync('node_modules/.bin/astro', ['build', '--outDir', out], {
      env: { ...process.env, PATCHCAST_BASE: '/games/admin/', ASTRO_TELEMETRY_DISABLED: '1' },
      stdio: 'ignore',
    });
    const site: StaticServer = await serveStatic(out, '/games/admin/');
    try {
      const page = await browser.newPage();
      await page.goto(site.url);
      await page.fill('#relay-input', relay.url);
      await page.click('#relay-form button[type=submit]');
      await page.fill('#room-input', ROOM);
      await page.click('#room-form button[type=submit]');
      // Another origin, so another IndexedDB: bring the room key over from its backup.
      await page.setInputFiles('#import-file', backupFile);
      await page.fill('#import-pass', PASS);
      await page.click('#import-button');
      await page.waitForSelector('[data-testid=key-id]', { timeout: 15_000 });
      const link = new URL(await page.inputValue('#player-link'));
      expect(link.pathname).toBe('/games/admin/play/');
      expect(link.searchParams.get('server')).toBe(relay.url);

      const before = await liveSeq();
      await page.goto(`${site.url}publish/`);
      await page.waitForSelector('.cm-editor');
      await page.waitForFunction(() => !document.querySelector('#current')?.textContent?.includes('Loading'));
      await page.fill('#theme-background', '#101010');
      expect(await publish(page, '3.0.0')).toBe(before + 1);

      await page.goto(`${site.url}dashboard/`);
      await expect
        .poll(() => page.locator('#conn').getAttribute('data-kind'), { timeout: 20_000 })
        .toBe('ok');
      await page.goto(`${site.url}history/`);
      await page.waitForSelector(`tr[data-seq="${before + 1}"]`);
      await page.close();
    } finally {
      await site.close();
    }
  });

  it('rotates the key: a player pinned to the old key applies a release signed by the new one', async () => {
    const player = await browser.newPage();
    await player.goto(playerLink);
    const seq = await liveSeq();
    await expect.poll(async () => (await playerStatus(player))?.seq, { timeout: 20_000 }).toBe(seq);

    await admin.goto(relay.url);
    const oldKeyId = await admin.locator('[data-testid=key-id]').textContent();
    admin.once('dialog', (d) => void d.accept());
    await admin.click('#rotate');
    const newKeyId = await admin.locator('[data-testid=rotated-key]').textContent({ timeout: 20_000 });
    expect(newKeyId).toMatch(/^[0-9a-f]{16}$/);
    expect(newKeyId).not.toBe(oldKeyId);
    expect(await admin.locator('[data-testid=key-id]').textContent()).toBe(newKeyId);

    await openPublish(admin);
    await admin.fill('#theme-ball', '#abcdef');
    expect(await publish(admin, '4.0.0')).toBe(seq + 1);
    await expect
      .poll(async () => (await playerStatus(player))?.slots['theme']?.version, { timeout: 20_000 })
      .toBe('4.0.0');
    await player.close();
  });
});
