/**
 * The publish page's dry run in real Chromium: scripts run in the player's sandbox worker; a script
 * that throws, hangs or returns junk is shown with its error and blocks the publish unless the admin
 * overrides it. Served from `dist/` by a plain static server; nothing here reaches a relay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, serveStatic, type StaticServer } from './helpers/admin-env.ts';

let site: StaticServer;
let browser: BrowserContext;
let page: Page;

async function loadScript(source: string): Promise<void> {
  await page.setInputFiles('#script-file', {
    name: 'logic.js',
    mimeType: 'text/javascript',
    buffer: Buffer.from(source),
  });
  await expect.poll(() => page.locator('.cm-content').textContent()).toContain(source.slice(0, 20));
}

async function dryRunError(): Promise<string> {
  await page.click('#dry-run');
  await page.waitForSelector('#dry-status[data-kind=error], #dry-status[data-kind=ok]', { timeout: 20_000 });
  await page.waitForFunction(
    () => document.querySelector('#dry-status')?.getAttribute('data-kind') !== 'info',
  );
  return (await page.locator('#dry-status').textContent()) ?? '';
}

beforeAll(async () => {
  site = await serveStatic('dist');
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(site.url);
  await page.fill('#room-input', 'dry-run');
  await page.click('#room-form button[type=submit]');
  await page.click('#generate');
  await page.waitForSelector('[data-testid=key-id]');
  await page.goto(`${site.url}publish/`);
  await page.waitForSelector('.cm-editor');
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('dry run (player sandbox, real Chromium)', () => {
  it('passes the starter script and draws its path', async () => {
    const text = await dryRunError();
    expect(text).toContain('Dry run passed: 300 frames');
    expect(await page.locator('#dry-path').isVisible()).toBe(true);
  });

  it('shows the error of a script that throws, and does not publish it', async () => {
    await loadScript(
      'export function update(b, w, dt) { if (w.time > 0.5) throw new Error("kaboom"); return { ...b, x: b.x + 1 }; }',
    );
    await page.click('#publish');
    await expect
      .poll(() => page.locator('#publish-status').textContent(), { timeout: 20_000 })
      .toContain('Not published: the script failed its dry run');
    expect(await page.locator('[data-testid=dry-error]').textContent()).toContain('kaboom');
    // Blocked until the admin explicitly overrides.
    expect(await page.locator('#publish').isDisabled()).toBe(true);
    expect(await page.locator('#override-wrap').isVisible()).toBe(true);
    await page.check('#override');
    expect(await page.locator('#publish').isDisabled()).toBe(false);
    await page.uncheck('#override');
  });

  it('stops an endless loop within the budget', async () => {
    await loadScript('export function update(b) { while (true) {} }');
    const text = await dryRunError();
    expect(text).toContain('took longer than');
    expect(await page.locator('#publish').isDisabled()).toBe(true);
  });

  it('refuses a ball with NaN and a script without update()', async () => {
    await loadScript('export function update(b) { return { ...b, x: NaN }; }');
    expect(await dryRunError()).toContain('NaN');
    await loadScript('export const nothing = 1;');
    expect(await dryRunError()).toContain('does not export a function update');
  });

  it('cannot reach the network from the script', async () => {
    await loadScript('export function update(b) { fetch("http://127.0.0.1:1/"); return b; }');
    expect(await dryRunError()).toMatch(/fetch/);
  });
});
