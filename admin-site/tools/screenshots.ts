/**
 * Regenerates the README's screenshots of the admin site (`docs/images/admin-publish.png`,
 * `docs/images/admin-dashboard.png`, `docs/images/admin-publish-custom.png`) from a real run: a relay with its demo room, the demo key
 * imported through the site, three player pages, one hand-made client that fails an apply, and a few
 * releases published through the site. Run after `npm run build`:
 *
 *     npx tsx admin-site/tools/screenshots.ts
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import WebSocket from 'ws';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../tests/browser/helpers/admin-env.ts';
import { latestRelease, startRelayProcess } from '../../tests/browser/helpers/relay.ts';

const OUT = 'docs/images';
const run = promisify(execFile);

const GRAVITY = `// Gravity with a damped bounce (1.1.0)
export function update(ball, world, dt) {
  let { x, y, vx, vy, radius } = ball;
  vy += 900 * dt;                        // gravity, world units / s²
  x += vx * dt;
  y += vy * dt;
  if (x < radius || x > world.width - radius) vx = -vx;
  if (y > world.height - radius) {
    y = world.height - radius;
    vy = -Math.abs(vy) * 0.92;           // lose a little energy per bounce
    if (Math.abs(vy) < 220) vy = -640;   // and get kicked up again
  }
  x = Math.min(Math.max(x, radius), world.width - radius);
  return { x, y, vx, vy, radius };
}
`;

async function waitOk(page: Page, selector: string): Promise<void> {
  await page.waitForSelector(`${selector}[data-kind=ok]`, { timeout: 30_000 });
}

/**
 * A game's own room (made with the CLI: `enemy-ai`, `level-1`, `tuning`) on the Publish page, mid-edit:
 * its JSON replaced, a slot added, one marked for removal.
 */
async function customRoom(relayUrl: string, admin: Page): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'shots-'));
  const put = (name: string, content: string | Buffer) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };
  const cli = (...args: string[]) => run(process.execPath, ['bin/patchcast.mjs', ...args]);
  const key = join(dir, 'arena.key.json');
  await cli('keygen', '--out', key, '--room', 'arena');
  const level = await sharp({ create: { width: 320, height: 180, channels: 3, background: '#2d6a4f' } })
    .png()
    .toBuffer();
  await cli(
    'publish',
    '--server',
    relayUrl,
    '--room',
    'arena',
    '--key',
    key,
    '--version',
    '1.0.0',
    '--slot',
    `enemy-ai=script:${put('ai.js', 'export function think(enemy, player, dt) {\n  const dx = player.x - enemy.x;\n  return { ...enemy, vx: Math.sign(dx) * 80 };\n}\n')}`,
    '--slot',
    `level-1=texture:${put('level-1.png', level)}`,
    '--slot',
    `tuning=config:${put('tuning.json', '{"speed":1,"spawnEvery":3}')}`,
  );
  await admin.goto(relayUrl);
  await admin.setInputFiles('#import-file', key);
  await admin.click('#import-button');
  await admin.waitForSelector('[data-testid=key-id]');
  await admin.goto(`${relayUrl}/publish/`);
  await admin.waitForSelector('#slot-enemy-ai-editor .cm-editor');
  await admin.fill('#slot-tuning-json', '{\n  "speed": 2.5,\n  "spawnEvery": 2\n}\n');
  await admin.click('#slot-level-1-remove');
  await admin.fill('#add-slot-name', 'boss-ai');
  await admin.click('#add-slot-form button[type=submit]');
  await admin.setInputFiles('#slot-boss-ai-file', {
    name: 'boss-ai.js',
    mimeType: 'text/javascript',
    buffer: Buffer.from(
      'export function think(boss, player, dt) {\n  return { ...boss, rage: boss.rage + dt };\n}\n',
    ),
  });
  await admin.click('#slot-enemy-ai-check');
  await waitOk(admin, '#slot-enemy-ai-check-status');
  await admin.fill('#notes', 'Faster enemies, level 1 retired, a boss on the way');
  await admin.screenshot({ path: `${OUT}/admin-publish-custom.png`, fullPage: true });
}

async function main(): Promise<void> {
  const relay = await startRelayProcess();
  const browser = await launchChromium();
  try {
    const admin = await browser.newPage();
    await admin.setViewportSize({ width: 1280, height: 900 });
    await admin.goto(relay.url);
    await admin.setInputFiles('#import-file', join(relay.dataDir, 'keys', 'demo.key.json'));
    await admin.click('#import-button');
    await admin.waitForSelector('[data-testid=key-id]');
    const link = await admin.inputValue('#player-link');

    const players: Page[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await browser.newPage();
      await p.setViewportSize({ width: 480, height: 360 });
      await p.goto(link);
      players.push(p);
    }
    // A client on an older phone that stays behind and fails to apply the new logic.
    const ws = new WebSocket(`${relay.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(
      JSON.stringify({
        type: 'hello',
        v: 1,
        room: 'demo',
        role: 'player',
        clientId: 'android-7f3a',
        platform: 'Android 10 WebView 88 / Moto G7',
        seq: 0,
      }),
    );
    const beat = setInterval(() => ws.send(JSON.stringify({ type: 'heartbeat', t: Date.now() })), 3000);

    const dash = await browser.newPage();
    await dash.setViewportSize({ width: 1280, height: 900 });
    await dash.goto(`${relay.url}/dashboard/`);
    await dash.waitForSelector('#conn[data-kind=ok]');
    await new Promise((r) => setTimeout(r, 6000));

    // 1.1.0: new logic, through the publish page (dry run first).
    await admin.goto(`${relay.url}/publish/`);
    await admin.waitForSelector('.cm-editor');
    await admin.setInputFiles('#script-file', {
      name: 'gravity.js',
      mimeType: 'text/javascript',
      buffer: Buffer.from(GRAVITY),
    });
    await admin.click('#dry-run');
    await waitOk(admin, '#dry-status');
    await admin.fill('#version', '1.1.0');
    await admin.fill('#notes', 'Gravity with a damped bounce');
    await admin.click('#publish');
    await waitOk(admin, '#publish-status');
    const latest = await latestRelease(relay.url, 'demo');
    const logic = latest?.release.slots['logic'];
    if (!latest || !logic) throw new Error('no logic slot after publishing');
    ws.send(
      JSON.stringify({
        type: 'ack',
        seq: latest.release.seq,
        slot: 'logic',
        version: '1.1.0',
        sha256: logic.sha256,
        status: 'failed',
        error: 'update() took longer than 50 ms (stopped)',
      }),
    );
    await new Promise((r) => setTimeout(r, 7000));

    // 1.2.0: a new background and colours.
    await admin.goto(`${relay.url}/publish/`);
    await admin.waitForSelector('.cm-editor');
    const sky = await sharp({
      create: { width: 1024, height: 768, channels: 3, background: '#1b3a4b' },
    })
      .composite([
        {
          input: Buffer.from(
            `<svg width="1024" height="768"><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#0b132b"/><stop offset="1" stop-color="#3a506b"/></linearGradient></defs><rect width="1024" height="768" fill="url(#g)"/><circle cx="820" cy="150" r="70" fill="#f4d35e"/></svg>`,
          ),
        },
      ])
      .png()
      .toBuffer();
    await admin.setInputFiles('#texture-file', { name: 'night-sky.png', mimeType: 'image/png', buffer: sky });
    await waitOk(admin, '#texture-status');
    await admin.fill('#theme-background', '#0b132b');
    await admin.fill('#theme-ball', '#ee964b');
    await admin.fill('#version', '1.2.0');
    await admin.fill('#notes', 'Night sky background, orange ball');
    await admin.click('#publish');
    await waitOk(admin, '#publish-status');
    await new Promise((r) => setTimeout(r, 7000));

    await dash.screenshot({ path: `${OUT}/admin-dashboard.png`, fullPage: true });

    // The publish page mid-edit: a script tweak, its dry run, a texture picked, new colours.
    await admin.goto(`${relay.url}/publish/`);
    await admin.waitForSelector('.cm-editor');
    await admin.setInputFiles('#script-file', {
      name: 'gravity.js',
      mimeType: 'text/javascript',
      buffer: Buffer.from(GRAVITY.replace('0.92', '0.95').replace('1.1.0', '1.3.0')),
    });
    await admin.click('#dry-run');
    await waitOk(admin, '#dry-status');
    await admin.setInputFiles('#texture-file', { name: 'night-sky.png', mimeType: 'image/png', buffer: sky });
    await waitOk(admin, '#texture-status');
    await admin.fill('#theme-ball', '#f95738');
    await admin.locator('#rollout').evaluate((el) => {
      if (el instanceof HTMLInputElement) el.value = '25';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await admin.fill('#notes', 'Bouncier ball, tried on a quarter of players first');
    await admin.screenshot({ path: `${OUT}/admin-publish.png`, fullPage: true });

    await customRoom(relay.url, admin);

    clearInterval(beat);
    ws.close();
  } finally {
    await browser.close();
    await relay.stop();
  }
}

await main();
