/**
 * The demo room's admin link, in real Chromium against the real relay (`patchcast serve` with its
 * demo room): opened in a fresh profile, the link imports the demo key, leaves no fragment in the
 * address, and the admin publishes a colour to the demo room from the Publish page. A browser that
 * holds another demo key keeps it (also when the link is opened in a tab already showing the admin);
 * a damaged link imports nothing.
 */
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { ApiPath } from '../../protocol/http.ts';
import type { SigningKey } from '../../protocol/crypto.ts';
import { launchChromium } from './helpers/admin-env.ts';
import { printedAdminLink } from './helpers/demo-link.ts';
import { demoKey, latestRelease, startRelayProcess, type RelayProcess } from './helpers/relay.ts';

let relay: RelayProcess;
let key: SigningKey;
let link = '';
const contexts: BrowserContext[] = [];

const ThemeSchema = v.object({ background: v.string(), ball: v.string() });

async function freshPage(): Promise<Page> {
  const ctx = await launchChromium();
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  return page;
}

async function notice(page: Page): Promise<{ kind: string | null; text: string }> {
  await page.waitForSelector('#page-notice[data-kind]');
  return {
    kind: await page.getAttribute('#page-notice', 'data-kind'),
    text: (await page.locator('#page-notice').textContent()) ?? '',
  };
}

beforeAll(async () => {
  relay = await startRelayProcess();
  key = await demoKey(relay.dataDir);
  link = await printedAdminLink(relay);
});

afterAll(async () => {
  for (const ctx of contexts) await ctx.close();
  await relay?.stop();
});

describe('the demo room admin link (real relay)', () => {
  it('is printed by serve and carries the demo key only in the fragment', () => {
    const url = new URL(link);
    expect(`${url.origin}${url.pathname}${url.search}`).toBe(`${relay.url}/`);
    expect(url.hash).toMatch(/^#demo-key=[A-Za-z0-9_-]+$/);
    expect(relay.log()).toContain("this link contains the demo room's secret key");
  });

  it('imports the demo key in a fresh profile, clears the address, and publishes a colour', async () => {
    const page = await freshPage();
    await page.goto(link);
    expect(await notice(page)).toMatchObject({ kind: 'ok' });
    expect(await page.locator('[data-testid=notice-text]').textContent()).toBe(
      'Demo key imported for room demo',
    );
    expect(await page.evaluate(() => location.href)).toBe(`${relay.url}/`);
    await expect.poll(() => page.locator('[data-testid=key-id]').textContent()).toBe(key.keyId);
    expect(await page.locator('[data-testid=ctx-room]').textContent()).toBe('demo');
    expect(await page.locator('[data-testid=ctx-key]').textContent()).toBe(key.keyId);
    // The player link of the demo room, with the demo room's public key.
    expect(new URL(await page.inputValue('#player-link')).searchParams.get('key')).toBe(key.publicKey);

    const before = await latestRelease(relay.url, 'demo');
    await page.goto(`${relay.url}/publish/`);
    await page.waitForSelector('.cm-editor');
    await page.waitForFunction(() => !document.querySelector('#current')?.textContent?.includes('Loading'));
    // No fragment this time: no notice.
    expect(await page.locator('#page-notice').textContent()).toBe('');
    await page.fill('#theme-background', '#264653');
    await page.click('#publish');
    await page.waitForSelector('#publish-status[data-kind=ok], #publish-status[data-kind=error]', {
      timeout: 30_000,
    });
    expect(await page.getAttribute('#publish-status', 'data-kind')).toBe('ok');
    const seq = Number(await page.locator('[data-testid=published-seq]').textContent());
    expect(seq).toBe((before?.release.seq ?? 0) + 1);

    const after = await latestRelease(relay.url, 'demo');
    expect(after?.release.seq).toBe(seq);
    expect(after?.release.keyId).toBe(key.keyId);
    const theme = after?.release.slots['theme'];
    if (!theme) throw new Error('no theme slot');
    const body: unknown = await (await fetch(`${relay.url}${ApiPath.blob(theme.sha256)}`)).json();
    expect(v.parse(ThemeSchema, body).background).toBe('#264653');
  });

  it('keeps another demo key this browser already holds, and says so', async () => {
    const page = await freshPage();
    await page.goto(relay.url);
    await page.fill('#room-input', 'demo');
    await page.click('#room-form button[type=submit]');
    await page.click('#generate');
    const mine = await page.locator('[data-testid=key-id]').textContent();
    expect(mine).not.toBe(key.keyId);

    await page.goto(link);
    const shown = await notice(page);
    expect(shown.kind).toBe('warn');
    expect(shown.text).toContain('already holds another key for room demo');
    expect(await page.evaluate(() => location.href)).toBe(`${relay.url}/`);
    await expect.poll(() => page.locator('[data-testid=key-id]').textContent()).toBe(mine);
  });

  it('imports nothing from a damaged link, says why, and clears it too', async () => {
    const page = await freshPage();
    const damaged = new URL(link);
    damaged.pathname = '/publish/';
    damaged.hash = `${damaged.hash.slice(0, 40)}*`;
    await page.goto(damaged.href);
    const shown = await notice(page);
    expect(shown.kind).toBe('error');
    expect(shown.text).toContain('nothing was imported');
    expect(await page.evaluate(() => location.href)).toBe(`${relay.url}/publish/`);
    await expect.poll(() => page.locator('[data-testid=ctx-room]').textContent()).toBe('none chosen');
    expect(await page.locator('[data-testid=ctx-key]').count()).toBe(0);
  });
});
