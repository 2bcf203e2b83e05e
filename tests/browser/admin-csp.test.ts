/**
 * The admin pages' Content-Security-Policy in real Chromium against the real relay: every page
 * carries it, and using each page's features (QR code, editor, dry run, texture preview, publish,
 * live dashboard with its chart, history with the rollback dialog) reports no violation.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './helpers/admin-env.ts';
import { recordCspViolations } from './helpers/csp.ts';
import { printedAdminLink } from './helpers/demo-link.ts';
import { startRelayProcess, type RelayProcess } from './helpers/relay.ts';

let relay: RelayProcess;
let browser: BrowserContext;
let admin: Page;
let violations: () => Promise<string[]>;

/** The policy the page declares, as its directives. */
async function policyOf(page: Page): Promise<string[]> {
  const content = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  return (content ?? '').split(';').map((d) => d.trim());
}

async function publish(page: Page): Promise<void> {
  await page.click('#publish');
  await page.waitForSelector('#publish-status[data-kind=ok], #publish-status[data-kind=error]', {
    timeout: 30_000,
  });
  expect(await page.locator('#publish-status').textContent()).not.toContain('Not published');
  expect(await page.getAttribute('#publish-status', 'data-kind')).toBe('ok');
}

beforeAll(async () => {
  relay = await startRelayProcess();
  const link = await printedAdminLink(relay);
  browser = await launchChromium();
  admin = await browser.newPage();
  admin.on('pageerror', (e) => console.error('pageerror:', e.message));
  violations = await recordCspViolations(admin);
  // The demo key, so that every page has something to show and publish works.
  await admin.goto(link);
  await admin.waitForSelector('[data-testid=key-id]');
});

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
});

describe('admin Content-Security-Policy (real relay, real Chromium)', () => {
  it('Room & keys: strict policy, player link and QR code, no violation', async () => {
    const policy = await policyOf(admin);
    expect(policy).toEqual(
      expect.arrayContaining([
        "script-src 'self' 'wasm-unsafe-eval'",
        "object-src 'none'",
        "base-uri 'none'",
        "connect-src 'self' http: https: ws: wss:",
      ]),
    );
    await admin.waitForSelector('canvas.qr');
    await admin.click('#relay-test');
    await expect.poll(() => admin.getAttribute('#relay-status', 'data-kind')).toBe('ok');
    expect(await violations()).toEqual([]);
  });

  it('Publish: editor, dry run, texture preview and a publish, no violation', async () => {
    await admin.goto(`${relay.url}/publish/`);
    expect(await policyOf(admin)).toContain("script-src 'self' 'wasm-unsafe-eval'");
    await admin.waitForSelector('.cm-editor');
    await admin.waitForFunction(() => !document.querySelector('#current')?.textContent?.includes('Loading'));
    await admin.click('#dry-run');
    await expect
      .poll(() => admin.locator('#dry-status').textContent(), { timeout: 20_000 })
      .toContain('Dry run passed');
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#2a9d8f' } })
      .png()
      .toBuffer();
    await admin.setInputFiles('#texture-file', { name: 'bg.png', mimeType: 'image/png', buffer: png });
    await expect.poll(() => admin.locator('#texture-status').textContent()).toContain('64×48');
    expect(
      await admin
        .locator('#texture-preview')
        .evaluate((img) => img instanceof HTMLImageElement && img.complete),
    ).toBe(true);
    await admin.fill('#theme-ball', '#e76f51');
    await publish(admin);
    expect(await violations()).toEqual([]);
  });

  it('Dashboard: live roster over /ws and the uPlot chart, no violation', async () => {
    const player = await browser.newPage();
    try {
      await admin.goto(relay.url);
      await player.goto(await admin.inputValue('#player-link'));
      await admin.goto(`${relay.url}/dashboard/`);
      expect(await policyOf(admin)).toContain("object-src 'none'");
      await expect.poll(() => admin.locator('#roster tr').count(), { timeout: 20_000 }).toBe(1);
      await expect
        .poll(() => admin.getAttribute('#chart', 'data-last-percent'), { timeout: 20_000 })
        .toBe('100');
      expect(await admin.locator('#chart canvas').count()).toBeGreaterThan(0);
      expect(await violations()).toEqual([]);
    } finally {
      await player.close();
    }
  });

  it('History: releases and the rollback dialog, no violation', async () => {
    await admin.goto(`${relay.url}/history/`);
    expect(await policyOf(admin)).toContain("base-uri 'none'");
    await admin.waitForSelector('tr[data-seq="2"]');
    await admin.click('button[data-seq="1"]');
    await admin.waitForSelector('#confirm[open]');
    await admin.click('#confirm-ok');
    await expect
      .poll(() => admin.locator('[data-testid=rollback-seq]').textContent(), { timeout: 20_000 })
      .toBe('3');
    expect(await violations()).toEqual([]);
  });

  it('(self-check) the recorder does see a violation', async () => {
    await admin.evaluate(() => {
      const script = document.createElement('script');
      script.src = 'http://127.0.0.1:9/elsewhere.js';
      document.head.append(script);
    });
    // Both channels: the document's event and Chromium's console error.
    await expect
      .poll(() => violations())
      .toEqual([
        expect.stringMatching(/^script-src-elem http:\/\/127\.0\.0\.1:9\/elsewhere\.js/),
        expect.stringMatching(/^console: Loading the script .* violates .*Content Security Policy/),
      ]);
  });
});
