/**
 * The Publish page for a game's own room, in real Chromium against the real relay: a room created by
 * the CLI with slots `enemy-ai` (script), `level-1` (texture) and `tuning` (config) shows exactly
 * those, unchanged, and none of the demo's content; the admin replaces `tuning`'s JSON, adds a slot,
 * removes `level-1` and publishes; the relay's latest release holds exactly the expected slots. A
 * script slot the room declares a contract for (its `contracts` config slot) is dry-run against it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { fromUtf8 } from '../../protocol/bytes.ts';
import { RelayApi } from '../../publisher/relay-api.ts';
import { launchChromium } from './helpers/admin-env.ts';
import {
  BROWSER_OPERATOR_TOKEN,
  latestRelease,
  startRelayProcess,
  type RelayProcess,
} from './helpers/relay.ts';

const ROOM = 'arena';
const AI = 'export function think(enemy, player, dt) { return { ...enemy, x: enemy.x + dt }; }\n';
const BOSS = 'export function think(boss, player, dt) { return { ...boss, rage: boss.rage + dt }; }\n';
const TUNING = '{"speed":1,"spawnEvery":3}';
const NEW_TUNING = '{\n  "speed": 2.5,\n  "spawnEvery": 2\n}\n';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'admin-custom-'));
let relay: RelayProcess;
let browser: BrowserContext;
let page: Page;
const keyFile = join(dir, 'arena.key.json');

async function cli(...args: string[]): Promise<string> {
  // As the relay's operator: the first publish creates the room.
  const { stdout } = await run(process.execPath, ['bin/patchcast.mjs', ...args], {
    env: { ...process.env, PATCHCAST_OPERATOR_TOKEN: BROWSER_OPERATOR_TOKEN },
  });
  return stdout;
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The page's slot cards: name, kind and badge state, in page order. */
async function cards(): Promise<string[][]> {
  return page
    .locator('[data-slot]')
    .evaluateAll((els) =>
      els.map((el) => [
        el.getAttribute('data-slot') ?? '',
        el.getAttribute('data-kind') ?? '',
        el.getAttribute('data-status') ?? '',
      ]),
    );
}

beforeAll(async () => {
  relay = await startRelayProcess();
  await cli('keygen', '--out', keyFile, '--room', ROOM);
  const level = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#335533' } })
    .png()
    .toBuffer();
  await cli(
    'publish',
    '--server',
    relay.url,
    '--room',
    ROOM,
    '--key',
    keyFile,
    '--slot',
    `enemy-ai=script:${file('enemy-ai.js', AI)}`,
    '--slot',
    `level-1=texture:${file('level-1.png', level)}`,
    '--slot',
    `tuning=config:${file('tuning.json', TUNING)}`,
    '--version',
    '1.0.0',
  );
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error('admin pageerror:', e.message));
  await page.goto(relay.url);
  await page.setInputFiles('#import-file', keyFile);
  await page.click('#import-button');
  await page.waitForSelector(`[data-testid=ctx-room]:text-is("${ROOM}")`);
  await page.waitForSelector('[data-testid=key-id]');
});

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
});

describe('the Publish page of a room with its own slots', () => {
  it('lists exactly the live release’s slots, unchanged, and nothing of the demo game', async () => {
    await page.goto(`${relay.url}/publish/`);
    await expect.poll(cards, { timeout: 15_000 }).toEqual([
      ['enemy-ai', 'script', 'unchanged'],
      ['level-1', 'texture', 'unchanged'],
      ['tuning', 'config', 'unchanged'],
    ]);
    await page.waitForSelector('#slot-enemy-ai-editor .cm-editor');
    expect(await page.locator('#slot-enemy-ai-editor .cm-content').textContent()).toContain('think(enemy');
    expect(await page.inputValue('#slot-tuning-json')).toBe(TUNING);
    await expect.poll(() => page.locator('#slot-level-1-live img').count()).toBe(1);
    // None of the demo's slots, editors or content.
    for (const id of ['#logic-badge', '#dry-run', '#texture-file', '#theme-ball', '#slot-logic-h']) {
      expect(await page.locator(id).count(), id).toBe(0);
    }
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toContain('update(ball');
    expect(text).not.toContain('Ball colour');
    expect(await page.locator('#plan').textContent()).toContain('Nothing changed yet');
    expect(await page.locator('#publish').isDisabled()).toBe(true);
  });

  it('checks a script without a contract by loading it in the sandbox', async () => {
    await page.click('#slot-enemy-ai-check');
    await page.waitForSelector('#slot-enemy-ai-check-status[data-kind=ok]', { timeout: 20_000 });
    expect(await page.locator('#slot-enemy-ai-check-status').textContent()).toContain(
      'No contract for this slot: load check only',
    );
    await page.setInputFiles('#slot-enemy-ai-file', {
      name: 'ai.js',
      mimeType: 'text/javascript',
      buffer: Buffer.from('throw new Error("broken ai");\nexport function think(e) { return e; }\n'),
    });
    await expect.poll(() => page.getAttribute('[data-slot=enemy-ai]', 'data-status')).toBe('changed');
    await page.click('#slot-enemy-ai-check');
    await page.waitForSelector('#slot-enemy-ai-check-status[data-kind=error]', { timeout: 20_000 });
    expect(await page.locator('#slot-enemy-ai-check-status [data-testid=dry-error]').textContent()).toContain(
      'broken ai',
    );
    expect(await page.locator('#publish').isDisabled()).toBe(true);
    await page.click('#slot-enemy-ai-revert');
    await expect.poll(() => page.getAttribute('[data-slot=enemy-ai]', 'data-status')).toBe('unchanged');
  });

  it('replaces the JSON, adds a slot, removes one and publishes exactly that', async () => {
    const before = await latestRelease(relay.url, ROOM);
    if (!before) throw new Error('no release');

    await page.fill('#slot-tuning-json', '{"speed": ');
    await expect.poll(() => page.getAttribute('#slot-tuning-json-status', 'data-kind')).toBe('error');
    expect(await page.locator('#plan').textContent()).toContain('Not ready');
    expect(await page.locator('#publish').isDisabled()).toBe(true);
    await page.fill('#slot-tuning-json', NEW_TUNING);
    await expect.poll(() => page.getAttribute('#slot-tuning-json-status', 'data-kind')).toBe('ok');

    await page.fill('#add-slot-name', 'Boss AI');
    await page.click('#add-slot-form button[type=submit]');
    await expect.poll(() => page.getAttribute('#add-slot-status', 'data-kind')).toBe('error');
    expect(await page.locator('#add-slot-status').textContent()).toContain('is not a slot name');
    await page.fill('#add-slot-name', 'tuning');
    await page.click('#add-slot-form button[type=submit]');
    await expect.poll(() => page.locator('#add-slot-status').textContent()).toContain('already a slot');
    await page.fill('#add-slot-name', 'boss-ai');
    await page.selectOption('#add-slot-kind', 'script');
    await page.click('#add-slot-form button[type=submit]');
    await page.waitForSelector('#slot-boss-ai-editor .cm-editor');
    expect(await page.locator('#plan').textContent()).toContain('boss-ai: the script is empty');
    await page.setInputFiles('#slot-boss-ai-file', {
      name: 'boss.js',
      mimeType: 'text/javascript',
      buffer: Buffer.from(BOSS),
    });
    await expect.poll(() => page.locator('#slot-boss-ai-editor .cm-content').textContent()).toContain('rage');

    await page.click('#slot-level-1-remove');
    await expect.poll(cards).toEqual([
      ['enemy-ai', 'script', 'unchanged'],
      ['level-1', 'texture', 'removed'],
      ['tuning', 'config', 'changed'],
      ['boss-ai', 'script', 'new'],
    ]);
    expect(await page.locator('#plan').textContent()).toContain(
      'This release changes: level-1 (removed), tuning (replaced), boss-ai (added)',
    );

    await page.fill('#version', '1.1.0');
    await page.click('#publish');
    await page.waitForSelector('#publish-status[data-kind=ok], #publish-status[data-kind=error]', {
      timeout: 30_000,
    });
    expect(await page.locator('#publish-status').textContent()).toContain('Published 1.1.0');

    const after = await latestRelease(relay.url, ROOM);
    if (!after) throw new Error('no release');
    const slots = after.release.slots;
    expect(after.release.seq).toBe(before.release.seq + 1);
    expect(Object.keys(slots).sort()).toEqual(['boss-ai', 'enemy-ai', 'tuning']);
    expect(slots['enemy-ai']).toEqual(before.release.slots['enemy-ai']);
    expect(slots['tuning']).toMatchObject({ kind: 'config', version: '1.1.0' });
    expect(slots['boss-ai']).toMatchObject({ kind: 'script', lang: 'js', version: '1.1.0' });
    const api = new RelayApi(relay.url);
    expect(fromUtf8(await api.blob(slots['tuning']!.sha256))).toBe(NEW_TUNING);
    expect(fromUtf8(await api.blob(slots['boss-ai']!.sha256))).toBe(BOSS);

    // The page now shows the new live release, and still nothing of the demo.
    await expect.poll(cards, { timeout: 15_000 }).toEqual([
      ['boss-ai', 'script', 'unchanged'],
      ['enemy-ai', 'script', 'unchanged'],
      ['tuning', 'config', 'unchanged'],
    ]);
    expect(await page.locator('#theme-ball').count()).toBe(0);
  });

  it('checks a script against the contract the room declares in its contracts slot', async () => {
    const contracts = {
      slots: {
        'enemy-ai': {
          entry: 'think',
          samples: [[{ x: 1, y: 2 }, { x: 0, y: 0 }, 0.016]],
          returns: { x: 'number', y: 'number' },
        },
      },
    };
    await cli(
      'publish',
      '--server',
      relay.url,
      '--room',
      ROOM,
      '--key',
      keyFile,
      '--slot',
      `contracts=config:${file('contracts.json', JSON.stringify(contracts))}`,
    );
    await page.goto(`${relay.url}/publish/`);
    await page.waitForSelector('#slot-enemy-ai-editor .cm-editor');
    await page.click('#slot-enemy-ai-check');
    await page.waitForSelector('#slot-enemy-ai-check-status[data-kind=ok]', { timeout: 20_000 });
    expect(await page.locator('#slot-enemy-ai-check-status').textContent()).toContain(
      '1 trial call(s) of the room’s declared contract',
    );
    await page.setInputFiles('#slot-enemy-ai-file', {
      name: 'ai.js',
      mimeType: 'text/javascript',
      buffer: Buffer.from('export function think(e) { return { x: "left", y: e.y }; }\n'),
    });
    await page.click('#slot-enemy-ai-check');
    await page.waitForSelector('#slot-enemy-ai-check-status[data-kind=error]', { timeout: 20_000 });
    expect(await page.locator('#slot-enemy-ai-check-status [data-testid=dry-error]').textContent()).toContain(
      'trial call 0: think() returned junk: result.x: expected a finite number, got string',
    );
  });
});
