/**
 * Regenerates the README's screenshots of the admin site (`docs/images/admin-publish.png`,
 * `docs/images/admin-dashboard.png`) from a real run: a relay with its demo room, the demo key
 * imported through the site, three player pages, one hand-made client that fails an apply, and a few
 * releases published through the site. Run after `npm run build`:
 *
 *     npx tsx admin-site/tools/screenshots.ts
 */
import { join } from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../tests/browser/helpers/admin-env.ts';
import { latestRelease, startRelayProcess } from '../../tests/browser/helpers/relay.ts';

const OUT = 'docs/images';

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

    clearInterval(beat);
    ws.close();
  } finally {
    await browser.close();
    await relay.stop();
  }
}

await main();
