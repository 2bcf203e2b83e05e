/**
 * Key sets a relay cannot freeze (issue 10): a key set may carry a signed `expires`. A relay that
 * withholds the newest set — say, the one that removed a stolen key — keeps a player on the old set
 * only until that set expires; from then on the player takes no new release, from the relay or a
 * peer, until it finds the newer set. The relay itself refuses publishes under an expired set
 * (`KEY_SET_EXPIRED`), so an owner who forgot to renew learns it at the door with the fix, and a
 * renewal with the CLI (`keys set --expires 90d`: the same keys, a later expiry) unblocks it.
 * A real relay on loopback (its clock moved forward by the test), `patchcast` run in-process, Node
 * players over framed TCP; the freeze is a small HTTP server that serves the relay's key chain
 * without its newest records.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiPath, ErrorCode, parseKeysBody, type SigningKey } from '../../protocol/index.ts';
import { configBytes } from '../../protocol/config.ts';
import { buildRelease } from '../../publisher/build.ts';
import type { PatchHandlers } from '../../player/core/apply.ts';
import { NodePlayer } from '../../player/node/node-player.ts';
import { tcpTransport } from '../../player/node/tcp-transport.ts';
import { startTestServer, until, type TestServer } from '../testing/helpers.ts';
import { keygenFile, runCli, runCliOk, type CliResult } from '../testing/cli-run.ts';

const ROOM = 'expiry';
const HOUR = 3_600_000;
let server: TestServer;
let dir: string;
/** How far the relay's clock runs ahead of the machine's. */
let relayAhead = 0;
const players: NodePlayer[] = [];
let freezer: { url: string; maxVersion: number | null; close(): Promise<void> } | null = null;

beforeEach(async () => {
  relayAhead = 0;
  server = await startTestServer({ now: () => Date.now() + relayAhead });
  dir = await mkdtemp(join(tmpdir(), 'patchcast-expiry-'));
});
afterEach(async () => {
  for (const p of players.splice(0)) p.close();
  await freezer?.close();
  freezer = null;
  await server.dispose();
  await rm(dir, { recursive: true, force: true });
});

function run(...argv: string[]): Promise<CliResult> {
  return runCli({ server: server.url }, argv);
}

function ok(...argv: string[]): Promise<string> {
  return runCliOk({ server: server.url }, argv);
}

function keyFile(name: string): Promise<{ path: string; key: SigningKey }> {
  return keygenFile({ server: server.url }, join(dir, `${name}.key.json`), ROOM);
}

async function keysOf() {
  const parsed = parseKeysBody(await (await fetch(server.url + ApiPath.keys(ROOM))).json());
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

/**
 * A relay front that lies about one thing: it serves the room's key chain without the records above
 * `maxVersion` (null: honestly). Everything else is the real relay's answer.
 */
async function startFreezer(): Promise<NonNullable<typeof freezer>> {
  const state = { maxVersion: null as number | null };
  const http: Server = createServer((req, res) => {
    void (async () => {
      const upstream = await fetch(server.url + (req.url ?? '/'));
      let body = Buffer.from(await upstream.arrayBuffer());
      if (req.url === ApiPath.keys(ROOM) && state.maxVersion !== null && upstream.ok) {
        const parsed = parseKeysBody(JSON.parse(body.toString('utf8')));
        if (!parsed.ok) throw new Error(parsed.message);
        const max = state.maxVersion;
        const rotations = parsed.value.rotations.filter((r) => r.keySet.version <= max);
        body = Buffer.from(JSON.stringify({ ...parsed.value, rotations }));
      }
      res.writeHead(upstream.status, { 'content-type': 'application/json' });
      res.end(body);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get maxVersion() {
      return state.maxVersion;
    },
    set maxVersion(v: number | null) {
      state.maxVersion = v;
    },
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

/** A Node player pinned to `pinned`; `ahead()` is how far its clock runs ahead of the machine's. */
async function player(pinned: string, keysFrom: string, ahead: () => number, cacheDir?: string) {
  const seen: string[] = [];
  const handlers: PatchHandlers = {
    script: () => ({ status: 'applied' }),
    texture: () => ({ status: 'applied' }),
    config: (_change, value) => {
      seen.push(String((value as { background?: unknown }).background));
      return { status: 'applied' };
    },
  };
  const cache = cacheDir ?? (await mkdtemp(join(dir, 'player-')));
  const p = new NodePlayer({
    room: ROOM,
    publicKey: pinned,
    server: keysFrom,
    connect: tcpTransport(server.host, server.tcpPort),
    cacheDir: cache,
    handlers,
    backoff: { initialMs: 20, maxMs: 200 },
    fps: 0,
    now: () => Date.now() + ahead(),
  });
  players.push(p);
  await p.start();
  return { p, seen, cacheDir: cache };
}

/**
 * A release of the room signed by `key` at `seq`, dated `ahead` ms on: what a thief hands out. It
 * names the blobs of the relay's latest release (so a player that takes it can fetch them).
 */
async function thiefRelease(key: SigningKey, seq: number, ahead: number): Promise<unknown> {
  const built = await buildRelease({
    room: ROOM,
    key,
    previous: server.relay.latest(ROOM)!.release,
    seq,
    version: `thief-${seq}`,
    slots: {},
    now: new Date(Date.now() + ahead),
  });
  return JSON.parse(JSON.stringify(built.signed)) as unknown;
}

async function refusals(code: string): Promise<number> {
  const text = await (await fetch(server.url + '/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`patchcast_refusals_total{code="${code}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('key sets a relay cannot freeze', () => {
  it('a relay that withholds the set removing a stolen key keeps a player on the old set only until it expires', async () => {
    const a = await keyFile('a');
    const backup = await keyFile('backup');
    await ok('publish', '--key', a.path, '--color', '#111111');
    // As docs/security.md advises: a backup key, and a set that expires (renewed in time by its owner).
    const v2 = await ok('keys', 'set', '--key', a.path, '--add', backup.path, '--expires', '1h');
    expect(v2).toMatch(/key set version 2[\s\S]*expires at .*: renew it soon/);
    freezer = await startFreezer();
    let playerAhead = 0;
    const victim = await player(a.key.publicKey, freezer.url, () => playerAhead);
    await until(() => victim.seen.includes('#111111'), 10_000);

    // Key a is stolen. The owner removes it (set 3, 90 days); the thief's relay hides set 3.
    freezer.maxVersion = 2;
    await ok('keys', 'set', '--key', backup.path, '--remove', a.key.keyId, '--expires', '90d');
    expect((await keysOf()).version).toBe(3);

    // While set 2 is still valid, the freeze works: the victim can't tell (the documented window).
    const early = await victim.p.client.offerRelease(await thiefRelease(a.key, 2, 0));
    expect(early.ok).toBe(true);
    await until(() => victim.p.client.status().seq === 2, 10_000);

    // Two hours on, set 2 has expired: nothing new is taken under it, from the relay or a peer.
    playerAhead = 2 * HOUR;
    const late = await victim.p.client.offerRelease(await thiefRelease(a.key, 3, playerAhead));
    expect(late).toMatchObject({ ok: false, code: ErrorCode.KEY_SET_EXPIRED });
    expect(victim.p.client.status().lastError).toMatch(/KEY_SET_EXPIRED/);
    // What it runs keeps running: the last release it took is still applied.
    expect(victim.p.client.status().seq).toBe(2);

    // The relay stops lying; the victim, back on a new connection, walks on to set 3, takes the
    // owner's release (above the thief's seqs) and refuses the stolen key for good.
    freezer.maxVersion = null;
    victim.p.close();
    relayAhead = playerAhead;
    await ok('publish', '--key', backup.path, '--color', '#222221', '--trust', a.key.publicKey);
    await ok('publish', '--key', backup.path, '--color', '#222222', '--trust', a.key.publicKey);
    const back = await player(a.key.publicKey, freezer.url, () => playerAhead, victim.cacheDir);
    await until(() => back.seen.at(-1) === '#222222', 10_000);
    const after = await back.p.client.offerRelease(await thiefRelease(a.key, 4, playerAhead));
    expect(after).toMatchObject({ ok: false, code: ErrorCode.UNKNOWN_KEY });
  });

  it('the relay refuses publishes under an expired set until the CLI renews it; players keep playing', async () => {
    const a = await keyFile('a');
    await ok('publish', '--key', a.path, '--color', '#333333');
    await ok('keys', 'set', '--key', a.path, '--expires', '2h');
    const watcher = await player(a.key.publicKey, server.url, () => 0);
    await until(() => watcher.seen.includes('#333333'), 10_000);
    expect(await ok('keys', 'show', '--room', ROOM)).toMatch(/expires at .*: renew it soon/);

    // Three hours on (the relay's clock), the owner forgot to renew: the publish is refused at the
    // door with the code and the fix, and nothing changes.
    relayAhead = 3 * HOUR;
    const before = server.relay.lastSeq(ROOM);
    const refused = await run('publish', '--key', a.path, '--color', '#444444');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/KEY_SET_EXPIRED/);
    expect(refused.err).toMatch(/keys set --key K\.json --expires 90d/);
    expect(server.relay.lastSeq(ROOM)).toBe(before);
    expect(await refusals(ErrorCode.KEY_SET_EXPIRED)).toBe(1);
    expect(watcher.seen.at(-1)).toBe('#333333');

    // A record that has expired already is no renewal.
    const stale = await run(
      'keys',
      'set',
      '--key',
      a.path,
      '--expires',
      new Date(Date.now() + HOUR).toISOString(),
    );
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/KEY_SET_EXPIRED/);

    // The renewal: the same keys, a later expiry. Publishing works again, and the player follows.
    relayAhead = 0;
    const renewed = await ok('keys', 'set', '--key', a.path, '--expires', '90d');
    expect(renewed).toMatch(/key set version 3/);
    await ok('publish', '--key', a.path, '--color', '#555555');
    await until(() => watcher.seen.at(-1) === '#555555', 10_000);

    // A rotation that names no expiry hands the set's lifetime on (it never drops it by accident).
    const b = await keyFile('b');
    await ok('keys', 'set', '--key', a.path, '--add', b.path);
    const newest = (await keysOf()).rotations.at(-1)!.keySet;
    expect(newest.version).toBe(4);
    const lifetime = Date.parse(newest.expires!) - Date.parse(newest.createdAt);
    expect(Math.abs(lifetime - 90 * 24 * HOUR)).toBeLessThan(60_000);
    // …and `never` drops it on purpose.
    await ok('keys', 'set', '--key', a.path, '--expires', 'never');
    expect((await keysOf()).rotations.at(-1)!.keySet.expires).toBeUndefined();
  });
});
