/**
 * The publish page's dry run in real Chromium: scripts run in the player's sandbox worker; a script
 * that throws, hangs or returns junk is shown with its error and blocks the publish unless the admin
 * overrides it. Served from `dist/` by a plain static server; nothing here reaches a relay. A script
 * runs in QuickJS inside the sandbox worker, which has nothing to `import()` from: a canary server on
 * loopback sees nothing — with the page's Content-Security-Policy and with it switched off alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, serveStatic, type StaticServer } from './helpers/admin-env.ts';
import { bypassCsp, recordCspViolations, startCanary, type Canary } from './helpers/csp.ts';

let site: StaticServer;
let browser: BrowserContext;
let page: Page;
let canary: Canary;
let violations: () => Promise<string[]>;

async function loadScript(source: string, on = page): Promise<void> {
  await on.setInputFiles('#script-file', {
    name: 'logic.js',
    mimeType: 'text/javascript',
    buffer: Buffer.from(source),
  });
  await expect.poll(() => on.locator('.cm-content').textContent()).toContain(source.slice(0, 20));
}

async function dryRunError(on = page): Promise<string> {
  await on.click('#dry-run');
  await on.waitForSelector('#dry-status[data-kind=error], #dry-status[data-kind=ok]', { timeout: 20_000 });
  await on.waitForFunction(() => document.querySelector('#dry-status')?.getAttribute('data-kind') !== 'info');
  return (await on.locator('#dry-status').textContent()) ?? '';
}

/**
 * A script that tries to load code from the canary: at load time (caught), on its first frames, and,
 * when `fatal`, once more at load time uncaught (so loading it fails if that import fails).
 */
function importer(port: number, fatal: boolean): string {
  return `const url = 'http://127.0.0.1:${port}';
try { await import(url + '/caught.js'); } catch {}
let frame = 0;
export function update(ball) {
  if (frame++ < 3) import(url + '/frame-' + frame + '.js').catch(() => {});
  return ball;
}
${fatal ? "await import(url + '/top.js');" : ''}
`;
}

beforeAll(async () => {
  site = await serveStatic('dist');
  canary = await startCanary();
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  violations = await recordCspViolations(page);
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
  await canary?.close();
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

  it('cannot import() code from another origin', async () => {
    await loadScript(importer(canary.port, true));
    expect(await dryRunError()).toMatch(/loading the script failed: .*could not load module/);
    expect(await page.locator('#publish').isDisabled()).toBe(true);
    // Imports from update() fail quietly: the script runs, and reaches nothing.
    await loadScript(importer(canary.port, false));
    expect(await dryRunError()).toContain('Dry run passed');
    // Give any request that did leave time to arrive.
    await new Promise((r) => setTimeout(r, 500));
    expect(canary.hits).toEqual([]);
    // The page itself never ran into its own policy (a worker's violations stay in the worker).
    expect(await violations()).toEqual([]);
  });

  it('cannot import() even with the page policy switched off: the engine has no module loader', async () => {
    const open = await browser.newPage();
    try {
      await bypassCsp(open);
      await open.goto(`${site.url}publish/`);
      await open.waitForSelector('.cm-editor');
      await loadScript(importer(canary.port, true), open);
      expect(await dryRunError(open)).toMatch(/could not load module/);
      await loadScript(importer(canary.port, false), open);
      expect(await dryRunError(open)).toContain('Dry run passed');
      await new Promise((r) => setTimeout(r, 500));
      expect(canary.hits).toEqual([]);
    } finally {
      await open.close();
    }
  });
});
