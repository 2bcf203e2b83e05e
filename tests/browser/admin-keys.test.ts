/**
 * The admin site's key handling and input checks in real Chromium, served from `dist/` by a plain
 * static server (no relay needed for these): generate a key, back it up, import the backup in a fresh
 * profile (and refuse a wrong passphrase), import the CLI's key file, refuse a non-image texture.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { toKeyFile } from '../../protocol/keys.ts';
import { launchChromium, serveStatic, type StaticServer } from './helpers/admin-env.ts';

const PASS = 'a long enough passphrase';
let site: StaticServer;
const contexts: BrowserContext[] = [];
const work = mkdtempSync(join(tmpdir(), 'admin-keys-'));

async function freshPage(): Promise<Page> {
  const ctx = await launchChromium();
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  return page;
}

async function chooseRoom(page: Page, room: string): Promise<void> {
  await page.goto(site.url);
  await page.fill('#room-input', room);
  await page.click('#room-form button[type=submit]');
  await page.waitForSelector('[data-testid=no-key], [data-testid=key-id]');
}

beforeAll(async () => {
  site = await serveStatic('dist');
});

afterAll(async () => {
  for (const ctx of contexts) await ctx.close();
  await site?.close();
});

describe('admin keys (static site, real Chromium)', () => {
  it('generates a key, shows the player link with the pinned key and a QR code, and backs it up', async () => {
    const page = await freshPage();
    await chooseRoom(page, 'keys-test');
    await page.click('#generate');
    const keyId = await page.locator('[data-testid=key-id]').textContent();
    const publicKey = await page.locator('[data-testid=public-key]').textContent();
    expect(keyId).toMatch(/^[0-9a-f]{16}$/);
    const link = new URL(await page.inputValue('#player-link'));
    expect(link.pathname).toBe('/play/');
    expect(link.searchParams.get('room')).toBe('keys-test');
    expect(link.searchParams.get('key')).toBe(publicKey);
    expect(link.searchParams.has('server')).toBe(false);
    const qrInk = await page.evaluate(() => {
      const c = document.querySelector('canvas.qr');
      if (!(c instanceof HTMLCanvasElement)) return 0;
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 255) < 128) dark++;
      return dark;
    });
    expect(qrInk).toBeGreaterThan(500);

    // Mismatched passphrases are refused before anything is written.
    await page.fill('#backup-pass', PASS);
    await page.fill('#backup-pass2', `${PASS}!`);
    await page.click('#backup-button');
    await expect.poll(() => page.locator('#backup-status').textContent()).toContain('differ');

    await page.fill('#backup-pass2', PASS);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#backup-button')]);
    const file = join(work, 'backup.json');
    await download.saveAs(file);
    const backup: unknown = JSON.parse(readFileSync(file, 'utf8'));
    expect(backup).toMatchObject({
      format: 'patchcast-key-backup/1',
      keyId,
      room: 'keys-test',
      kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations: 600000 },
      cipher: { name: 'AES-GCM' },
    });
    await expect.poll(() => page.locator('#key-info').textContent()).toContain('downloaded');

    // A fresh profile: the wrong passphrase is refused, the right one restores the same key.
    const other = await freshPage();
    await other.goto(site.url);
    await other.setInputFiles('#import-file', file);
    await expect.poll(() => other.locator('#import-status').textContent()).toContain('Encrypted backup');
    expect(await other.inputValue('#import-room')).toBe('keys-test');
    await other.fill('#import-pass', 'not the passphrase');
    await other.click('#import-button');
    await expect
      .poll(() => other.locator('#import-status').textContent(), { timeout: 15_000 })
      .toContain('Wrong passphrase');
    await other.fill('#import-pass', PASS);
    await other.click('#import-button');
    await expect
      .poll(() => other.locator('[data-testid=key-id]').textContent(), { timeout: 15_000 })
      .toBe(keyId);
    expect(await other.locator('[data-testid=public-key]').textContent()).toBe(publicKey);
  });

  it('imports the key file the CLI writes', async () => {
    const key = await generateSigningKey(true);
    const file = join(work, 'cli.key.json');
    writeFileSync(file, JSON.stringify(await toKeyFile(key, 'cli-room')));
    const page = await freshPage();
    await page.goto(site.url);
    await page.setInputFiles('#import-file', file);
    await expect.poll(() => page.locator('#import-status').textContent()).toContain('Plain key file');
    await page.click('#import-button');
    await expect.poll(() => page.locator('[data-testid=key-id]').textContent()).toBe(key.keyId);
    expect(await page.locator('[data-testid=ctx-room]').textContent()).toBe('cli-room');
  });

  it('refuses a file that is not a key file', async () => {
    const page = await freshPage();
    await page.goto(site.url);
    await page.setInputFiles('#import-file', {
      name: 'x.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"a":1}'),
    });
    await expect
      .poll(() => page.locator('#import-status').textContent())
      .toContain('neither a Patchcast key file');
  });

  it('on the publish page: explains the missing key, refuses a non-image texture, accepts a real one', async () => {
    const page = await freshPage();
    await chooseRoom(page, 'texture-test');
    await page.goto(`${site.url}publish/`);
    await expect.poll(() => page.locator('#gate').textContent()).toContain('no key for room');
    expect(await page.locator('#publish').isDisabled()).toBe(true);

    await page.setInputFiles('#texture-file', {
      name: 'evil.png',
      mimeType: 'image/png',
      buffer: Buffer.from('<html><script>alert(1)</script></html>'),
    });
    await expect.poll(() => page.locator('#texture-status').textContent()).toContain('not an image');
    expect(await page.getAttribute('#texture-status', 'data-kind')).toBe('error');

    const broken = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(64, 7),
    ]);
    await page.setInputFiles('#texture-file', { name: 'broken.png', mimeType: 'image/png', buffer: broken });
    await expect.poll(() => page.locator('#texture-status').textContent()).toContain('cannot decode');

    const png = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    await page.setInputFiles('#texture-file', { name: 'bg.png', mimeType: 'image/png', buffer: png });
    await expect.poll(() => page.locator('#texture-status').textContent()).toContain('64×32 px');
    expect(await page.locator('#texture-preview').isVisible()).toBe(true);
  });
});
