/**
 * The relay is not trusted: a player pointed (`&server=`) at a relay that lies — a release signed by
 * another key, an older seq, a blob whose chunks were tampered with — refuses each one, keeps what it
 * has, and none of it reaches IndexedDB. Content that is signed but unusable (an "image" that doesn't
 * decode, a colour out of range; a real relay refuses those at publish) is acked as failed and the
 * old content stays. Real Chromium, real IndexedDB; the page is served by one real relay, and talks
 * to another (in this process) through a meddler that lies on demand (`tests/client/helpers/meddler.ts`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { buildRelease, type BuiltRelease } from '../../publisher/build.ts';
import { configBytes } from '../../protocol/config.ts';
import { generateSigningKey, type SigningKey } from '../../protocol/crypto.ts';
import { toBase64 } from '../../protocol/bytes.ts';
import { ApiPath } from '../../protocol/http.ts';
import { startTestServer, TEST_OPERATOR_TOKEN, type TestServer } from '../../signaling/testing/helpers.ts';
import { startMeddler, type Meddler } from '../client/helpers/meddler.ts';
import { launchChromium } from './helpers/admin-env.ts';
import { startRelayProcess, type RelayProcess } from './helpers/relay.ts';
import { openPlayer, storedKeys, waitForApplied, waitForStatus } from './helpers/player.ts';

let site: RelayProcess;
let relay: TestServer;
let liar: Meddler;
let ctx: BrowserContext;
let key: SigningKey;
let page: Page;
let errors: string[];

const theme = (background: string) => ({
  kind: 'config' as const,
  bytes: configBytes({ background }),
  version: background,
});

async function next(
  previous: BuiltRelease | null,
  slots: Parameters<typeof buildRelease>[0]['slots'],
  signer = key,
) {
  return buildRelease({
    room: 'demo',
    key: signer,
    previous: previous?.signed.release ?? null,
    slots,
    chunkSize: 4096,
  });
}

/** A real 16 × 16 PNG. */
async function tinyPng(background = '#40a0ff'): Promise<Uint8Array> {
  const sharp = (await import('sharp')).default;
  return new Uint8Array(
    await sharp({ create: { width: 16, height: 16, channels: 3, background } })
      .png()
      .toBuffer(),
  );
}

/** Publishes to the real relay behind the liar (seq 1 names the room's key). */
async function publish(built: BuiltRelease): Promise<void> {
  const res = await fetch(relay.url + ApiPath.releases('demo'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_OPERATOR_TOKEN}` },
    body: JSON.stringify({
      signed: built.signed,
      blobs: Object.fromEntries([...built.blobs].map(([k, b]) => [k, toBase64(b)])),
      ...(built.signed.release.seq === 1 ? { publicKey: key.publicKey } : {}),
    }),
  });
  if (res.status !== 201) throw new Error(`publish refused: ${await res.text()}`);
}

beforeAll(async () => {
  site = await startRelayProcess({ args: ['--no-demo'] });
  relay = await startTestServer();
  liar = await startMeddler(relay);
  key = await generateSigningKey();
  ctx = await launchChromium();
  ({ page, errors } = await openPlayer(
    ctx,
    // The meddler passes no PeerJS: without `p2p=off` the page would give up on the swarm after its
    // signaling timeout and re-dial the relay, and a release the liar merely announces (never
    // stores) during that reconnect would be lost to the test.
    `${site.url}/play/?room=demo&key=${key.publicKey}&server=${liar.url}&p2p=off`,
  ));
  await page.setViewportSize({ width: 640, height: 480 });
});

afterAll(async () => {
  await ctx?.close();
  await liar?.close();
  await relay?.dispose();
  await site?.stop();
});

describe('refused releases never reach IndexedDB', () => {
  let first: BuiltRelease;
  let second: BuiltRelease;
  let junk: BuiltRelease;
  let tampered: BuiltRelease;
  let before: string[];

  it('takes an honest release first', async () => {
    await waitForStatus(page, (s) => s.mode === 'relay');
    first = await next(null, { theme: theme('#203040') });
    await publish(first);
    await waitForApplied(page, 1);
    before = (await storedKeys(page)).sort();
    expect(before).toContain('patchcast:room:demo:release:1');
  });

  it('refuses a release signed by another key', async () => {
    const stranger = await generateSigningKey();
    const foreign = await next(first, { theme: theme('#ff0000') }, stranger);
    liar.announce(foreign.signed);
    const status = await waitForStatus(page, (s) => s.lastError?.includes('UNKNOWN_KEY') ?? false);
    expect(status.seq).toBe(1);
    expect(status.slots['theme']?.version).toBe('#203040');
    expect((await storedKeys(page)).sort()).toEqual(before);
  });

  it('refuses an older seq', async () => {
    second = await next(first, { theme: theme('#304050') });
    await publish(second);
    await waitForApplied(page, 2);
    before = (await storedKeys(page)).sort();
    // A validly signed release, but seq 1 again (replayed by the relay): a rollback attack.
    liar.announce(first.signed);
    const status = await waitForStatus(page, (s) => s.lastError?.includes('STALE_SEQ') ?? false);
    expect(status.seq).toBe(2);
    expect((await storedKeys(page)).sort()).toEqual(before);
  });

  it('refuses a blob whose chunks were tampered with', async () => {
    const bad = await next(second, {
      background: {
        kind: 'texture',
        mime: 'image/png',
        version: 'tampered',
        bytes: await tinyPng('#ff00ff'),
      },
    });
    const sha = bad.signed.release.slots['background']?.sha256;
    if (!sha) throw new Error('no background slot');
    liar.tamper(sha);
    await publish(bad);
    tampered = bad;
    const status = await waitForStatus(page, (s) => s.lastError?.includes('HASH_MISMATCH') ?? false);
    expect(status.seq).toBe(2);
    expect(status.slots['background']).toBeUndefined();
    expect((await storedKeys(page)).sort()).toEqual(before);
    await expect
      .poll(() => liar.acks.find((a) => a.seq === 3 && a.slot === 'background')?.status)
      .toBe('failed');
  });

  it('acks an image that does not decode as failed and keeps the old background', async () => {
    const good = await next(tampered, {
      background: { kind: 'texture', mime: 'image/png', version: 'good-png', bytes: await tinyPng() },
    });
    await publish(good);
    await waitForApplied(page, good.signed.release.seq);
    // Signed, hashes right — but not an image (a relay would refuse it at publish; this one lies).
    junk = await next(good, {
      background: {
        kind: 'texture',
        mime: 'image/png',
        version: 'not-an-image',
        bytes: new Uint8Array(5000).fill(7),
      },
    });
    liar.inject(junk);
    const applied = await waitForApplied(page, junk.signed.release.seq);
    expect(applied.detail.slots['background']).toMatchObject({ status: 'failed' });
    expect(applied.detail.slots['background']?.error).toContain('BAD_IMAGE');
    const status = await waitForStatus(page, (s) => s.seq === junk.signed.release.seq);
    expect(status.slots['background']?.version).toBe('good-png');
  });

  it('acks a colour out of range as failed and keeps the old theme', async () => {
    const bad = await next(junk, {
      theme: { kind: 'config', bytes: configBytes({ background: '#zzzzzz' }), version: 'bad-colour' },
    });
    liar.inject(bad);
    const applied = await waitForApplied(page, bad.signed.release.seq);
    expect(applied.detail.slots['theme']).toMatchObject({ status: 'failed' });
    expect(applied.detail.slots['theme']?.error).toContain('BAD_CONFIG');
    const status = await waitForStatus(page, (s) => s.seq === bad.signed.release.seq);
    expect(status.slots['theme']?.version).toBe('#304050');
  });

  it('raised no page error', () => {
    expect(errors).toEqual([]);
  });
});
