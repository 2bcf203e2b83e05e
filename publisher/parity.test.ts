/**
 * The admin site and the CLI publish through the one publisher: driven through their own entry
 * points — the admin's `publishDraft`/`rollbackToSeq` (what the Publish and History pages call, from
 * the page's slot board) and `patchcast publish`/`rollback` (from argv) — against two real relays holding
 * the same base, with the same key and clock, they produce byte-identical signed releases.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishDraft, rollbackToSeq } from '../admin-site/lib/publish-plan.ts';
import type { StoredKey } from '../admin-site/lib/keystore.ts';
import { SlotBoard } from '../admin-site/lib/slot-board.ts';
import { utf8 } from '../protocol/bytes.ts';
import { configBytes } from '../protocol/config.ts';
import { generateSigningKey } from '../protocol/crypto.ts';
import { canonicalize } from '../protocol/jcs.ts';
import { fromKeyFile, toKeyFile } from '../protocol/keys.ts';
import type { SignedRelease } from '../protocol/release.ts';
import { bigPngBytes, postRelease, startTestServer, type TestServer } from '../signaling/testing/helpers.ts';
import { buildRelease } from './build.ts';
import { proposeVersion } from './publisher.ts';
import { RAW_UPLOAD_BYTES, RelayApi } from './relay-api.ts';
import { runCli, type CliResult } from '../signaling/testing/cli-run.ts';

const ROOM = 'parity';
const OLD_SCRIPT = 'export function update(ball) { return ball; }\n';
const NEW_SCRIPT =
  'export function update(ball, world, dt) { return { ...ball, x: ball.x + ball.vx * dt }; }\n';
const THEME = { background: '#102030', ball: '#ff0000', ballRadius: 20 };

let admin: TestServer;
let cli: TestServer;
let dir: string;
let keyPath: string;
let stored: StoredKey;
let texture: Uint8Array;
/** One clock for both paths, in whole seconds so the relays' clock checks pass. */
const clock = new Date(Math.floor(Date.now() / 1000) * 1000);
const now = () => clock;

function cliRun(...argv: string[]): Promise<CliResult> {
  return runCli({ server: cli.url, anonymous: true, now }, argv);
}

async function latest(server: TestServer): Promise<SignedRelease> {
  const signed = await new RelayApi(server.url).latest(ROOM);
  if (!signed) throw new Error('no release');
  return signed;
}

beforeAll(async () => {
  [admin, cli] = await Promise.all([startTestServer(), startTestServer()]);
  dir = await mkdtemp(join(tmpdir(), 'patchcast-parity-'));
  const file = await toKeyFile(await generateSigningKey(true), ROOM);
  keyPath = join(dir, 'key.json');
  await writeFile(keyPath, JSON.stringify(file));
  const key = await fromKeyFile(file);
  stored = { ...key, room: ROOM, createdAt: file.createdAt, source: 'imported' };
  // The same base on both relays.
  const base = await buildRelease({
    room: ROOM,
    key,
    previous: null,
    version: '1.0.0',
    now: new Date(clock.getTime() - 60_000),
    slots: {
      logic: { kind: 'script', lang: 'js', bytes: utf8(OLD_SCRIPT), version: '1.0.0' },
      theme: { kind: 'config', bytes: configBytes(THEME), version: '1.0.0' },
    },
  });
  for (const server of [admin, cli]) {
    const res = await postRelease(server.url, base, { publicKey: key.publicKey });
    expect(res.status).toBe(201);
  }
  // Big enough to go up raw (HEAD, then PUT) on both paths.
  texture = await bigPngBytes(RAW_UPLOAD_BYTES * 2);
});

afterAll(async () => {
  await Promise.all([admin?.dispose(), cli?.dispose()]);
  await rm(dir, { recursive: true, force: true });
});

describe('the admin and the CLI publish through one publisher', () => {
  it('give byte-identical signed releases for a script, a texture and a colour', async () => {
    // The admin: the Publish page's slot board, built from the live release — the script edited, a
    // texture picked, the theme's background changed — and the version field's proposed label.
    const board = SlotBoard.fromRelease((await latest(admin)).release);
    board.setLive('logic', { kind: 'script', text: OLD_SCRIPT });
    board.setLive('theme', { kind: 'theme', value: THEME });
    board.edit('logic', { kind: 'script', text: NEW_SCRIPT });
    board.edit('background', { kind: 'texture', bytes: texture, mime: 'image/png' });
    board.edit('theme', { kind: 'theme', value: { ...THEME, background: '#334455' } });
    const version = await proposeVersion(new RelayApi(admin.url), ROOM);
    const viaAdmin = await publishDraft(
      { relay: admin.url, room: ROOM, key: stored },
      { changes: board.plan().changes, version, rolloutPercent: 100 },
      { notes: 'faster ball' },
      { now },
    );
    // The CLI: files and flags.
    const script = join(dir, 'logic.js');
    const png = join(dir, 'bg.png');
    await writeFile(script, NEW_SCRIPT);
    await writeFile(png, texture);
    const res = await cliRun(
      'publish',
      '--key',
      keyPath,
      '--script',
      script,
      '--texture',
      png,
      '--color',
      '#334455',
      '--notes',
      'faster ball',
    );
    expect(res.err).toBe('');
    expect(res.code).toBe(0);

    const [a, c] = [await latest(admin), await latest(cli)];
    expect(a.release.seq).toBe(2);
    expect(a.release.version).toBe('1.0.1');
    expect(Object.keys(a.release.slots).sort()).toEqual(['background', 'logic', 'theme']);
    expect(canonicalize(c)).toBe(canonicalize(a));
    expect(canonicalize(viaAdmin.signed)).toBe(canonicalize(a));
    expect(c.sig).toBe(a.sig);
  });

  it('give byte-identical rollbacks, and then both propose a label not used before', async () => {
    const viaAdmin = await rollbackToSeq(
      { relay: admin.url, room: ROOM, key: stored },
      1,
      { confirm: () => Promise.resolve(true) },
      { now },
    );
    expect(viaAdmin?.published.seq).toBe(3);
    const res = await cliRun('rollback', '--key', keyPath, '--to-seq', '1');
    expect(res.code).toBe(0);
    const [a, c] = [await latest(admin), await latest(cli)];
    expect(a.release.version).toBe('1.0.0');
    expect(canonicalize(c)).toBe(canonicalize(a));

    // History: 1.0.0, 1.0.1, 1.0.0 (the rollback). Not 1.0.1 again.
    expect(await proposeVersion(new RelayApi(admin.url), ROOM)).toBe('1.0.2');
    const tuning = join(dir, 'tuning.json');
    await writeFile(tuning, '{"speed":3}');
    const next = await cliRun('publish', '--key', keyPath, '--slot', `tuning=config:${tuning}`, '--json');
    expect(next.code).toBe(0);
    expect(JSON.parse(next.out)).toMatchObject({ seq: 4, version: '1.0.2' });
  });

  it('refuses a rollback to a seq the room does not hold, with NO_SUCH_RELEASE', async () => {
    const viaAdmin = await rollbackToSeq({ relay: admin.url, room: ROOM, key: stored }, 42).catch(
      (e: unknown) => e,
    );
    expect(viaAdmin).toMatchObject({ code: 'NO_SUCH_RELEASE' });
    const res = await cliRun('rollback', '--key', keyPath, '--to-seq', '42');
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^NO_SUCH_RELEASE: room parity has no release with seq 42/);
  });
});
