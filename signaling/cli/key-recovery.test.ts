/**
 * Revocable room keys, end to end: a real relay, `patchcast keys set / publish / rollback` run
 * in-process, and headless Node players (file cache, framed TCP) pinned to the room's first key.
 * The two recovery procedures of docs/security.md — after a stolen key, after a lost one — and the
 * chain attacks of issue 10: a replayed record changes nothing, and a player learns a chain longer
 * than the 64 records players used to read.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiPath,
  ErrorCode,
  generateSigningKey,
  parseKeysBody,
  type SigningKey,
} from '../../protocol/index.ts';
import { buildRelease } from '../../publisher/build.ts';
import type { PatchHandlers } from '../../player/core/apply.ts';
import { NodePlayer } from '../../player/node/node-player.ts';
import { tcpTransport } from '../../player/node/tcp-transport.ts';
import { configBytes } from '../../protocol/config.ts';
import { keySetRecord } from '../testing/key-sets.ts';
import { postRelease, startTestServer, until, type TestServer } from '../testing/helpers.ts';
import { keygenFile, runCli, runCliOk, type CliResult } from '../testing/cli-run.ts';

const ROOM = 'keys';
let server: TestServer;
let dir: string;
const players: NodePlayer[] = [];

beforeEach(async () => {
  server = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'patchcast-keys-'));
});
afterEach(async () => {
  for (const p of players.splice(0)) p.close();
  await server.dispose();
  await rm(dir, { recursive: true, force: true });
});

function run(...argv: string[]): Promise<CliResult> {
  return runCli({ server: server.url }, argv);
}

function ok(...argv: string[]): Promise<string> {
  return runCliOk({ server: server.url }, argv);
}

/** A key file (via `patchcast keygen`) and its key. */
function keyFile(name: string): Promise<{ path: string; key: SigningKey }> {
  return keygenFile({ server: server.url }, join(dir, `${name}.key.json`), ROOM);
}

/** A theme-only game that records the background colour of every release it applied. */
function recorder() {
  const seen: string[] = [];
  const handlers: PatchHandlers = {
    script: () => ({ status: 'applied' }),
    texture: () => ({ status: 'applied' }),
    config: (_change, value) => {
      seen.push(String((value as { background?: unknown }).background));
      return { status: 'applied' };
    },
  };
  return { seen, handlers };
}

/** A Node player pinned to `pinned`, with its own cache dir (kept across restarts). */
async function player(pinned: string, cacheDir?: string) {
  const game = recorder();
  const cache = cacheDir ?? (await mkdtemp(join(dir, 'player-')));
  const p = new NodePlayer({
    room: ROOM,
    publicKey: pinned,
    server: server.url,
    connect: tcpTransport(server.host, server.tcpPort),
    cacheDir: cache,
    handlers: game.handlers,
    backoff: { initialMs: 20, maxMs: 200 },
    fps: 0,
  });
  players.push(p);
  await p.start();
  return { p, seen: game.seen, cacheDir: cache };
}

async function keysOf() {
  const parsed = parseKeysBody(await (await fetch(server.url + ApiPath.keys(ROOM))).json());
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

/** A release of `ROOM` signed by `key` above the relay's last seq: what a thief posts. */
async function thiefPublish(key: SigningKey, background: string) {
  const latest = server.relay.latest(ROOM);
  const built = await buildRelease({
    room: ROOM,
    key,
    previous: latest?.release ?? null,
    slots: { theme: { kind: 'config', bytes: configBytes({ background }), version: background } },
  });
  return { built, res: await postRelease(server.url, built, { anonymous: true }) };
}

describe('revocable room keys', () => {
  it('after a key theft: remove the stolen key, roll back; players pinned to it follow and refuse its releases', async () => {
    const a = await keyFile('a');
    const backup = await keyFile('backup');
    await ok('publish', '--key', a.path, '--color', '#111111');
    // Set up as docs/security.md advises: a backup key beside the everyday one (threshold 1 of 2).
    await ok('keys', 'set', '--key', a.path, '--add', backup.path);
    const online = await player(a.key.publicKey);
    await until(() => online.seen.includes('#111111'), 10_000);
    const offline = await player(a.key.publicKey);
    await until(() => offline.seen.includes('#111111'), 10_000);
    offline.p.close(); // back later, from its cache

    // The thief publishes with the stolen key: until the owner acts, nobody can tell.
    const stolen = await thiefPublish(a.key, '#bad000');
    expect(stolen.res.status).toBe(201);
    await until(() => online.seen.includes('#bad000'), 10_000);

    // Recovery: the backup key signs the next key set without the stolen key.
    const set = await ok('keys', 'set', '--key', backup.path, '--remove', a.key.keyId);
    expect(set).toContain('key set version 3');
    expect((await keysOf()).keys.map((k) => k.keyId)).toEqual([backup.key.keyId]);

    // The thief can no longer publish, nor undo the removal by replaying or signing a key set.
    expect((await thiefPublish(a.key, '#bad001')).res.body).toMatchObject({
      error: { code: ErrorCode.UNKNOWN_KEY },
    });
    const replay = (await keysOf()).rotations[0]!;
    const replayed = await fetch(server.url + ApiPath.keys(ROOM), {
      method: 'POST',
      body: JSON.stringify(replay),
    });
    expect(replayed.status).toBe(409);
    const thief = await generateSigningKey();
    const forged = await keySetRecord(ROOM, 4, [thief], [a.key, thief]);
    const forgedRes = await fetch(server.url + ApiPath.keys(ROOM), {
      method: 'POST',
      body: JSON.stringify(forged),
    });
    expect(forgedRes.status).toBe(403);
    expect((await keysOf()).version).toBe(3);

    // The owner rolls back to the last release they know is theirs, signed by the backup key (the
    // stolen key is named with --trust only so that its releases count as bases: a rollback copies
    // the target's slots alone).
    await ok('rollback', '--key', backup.path, '--to-seq', '1', '--trust', a.key.publicKey);
    await until(() => online.seen.at(-1) === '#111111', 10_000);

    // A player that was away reconnects: it learns the chain, takes the rollback, and from then on
    // refuses anything the stolen key signs — also from a peer, not only from the relay.
    const back = await player(a.key.publicKey, offline.cacheDir);
    await until(() => back.seen.at(-1) === '#111111' && back.p.client.status().seq === 3, 10_000);
    const fromPeer = await buildRelease({
      room: ROOM,
      key: a.key,
      previous: server.relay.latest(ROOM)!.release,
      slots: { theme: { kind: 'config', bytes: configBytes({ background: '#bad002' }), version: 'x' } },
    });
    for (const { p } of [online, back]) {
      const verdict = await p.client.offerRelease(JSON.parse(JSON.stringify(fromPeer.signed)));
      expect(verdict).toMatchObject({ ok: false, code: ErrorCode.UNKNOWN_KEY });
    }
    expect(back.seen).not.toContain('#bad002');

    // A player that only ever had the stolen key pinned (an old link) and an empty cache follows too.
    const fresh = await player(a.key.publicKey);
    await until(() => fresh.seen.at(-1) === '#111111', 10_000);
    expect(await fresh.p.client.offerRelease(JSON.parse(JSON.stringify(fromPeer.signed)))).toMatchObject({
      ok: false,
      code: ErrorCode.UNKNOWN_KEY,
    });
  });

  it('after a lost key: the backup key brings in a new key and removes the lost one; players follow', async () => {
    const a = await keyFile('a');
    const backup = await keyFile('backup');
    await ok('publish', '--key', a.path, '--color', '#222222');
    await ok('keys', 'set', '--key', a.path, '--add', backup.path);
    const before = await player(a.key.publicKey);
    await until(() => before.seen.includes('#222222'), 10_000);
    await rm(a.path); // lost

    const c = await keyFile('c');
    await ok('keys', 'set', '--key', backup.path, '--add', c.path, '--remove', a.key.keyId);
    expect((await keysOf()).keys.map((k) => k.keyId).sort()).toEqual([backup.key.keyId, c.key.keyId].sort());
    // The lost key's releases are still the owner's: --trust its public key to build on them.
    await ok('publish', '--key', c.path, '--color', '#333333', '--trust', a.key.publicKey);
    await until(() => before.seen.at(-1) === '#333333', 10_000);
    const later = await player(a.key.publicKey);
    await until(() => later.seen.at(-1) === '#333333', 10_000);
    // Without the backup, a lost key can't be replaced: no key the room trusts signs the next set.
    const stranger = await keyFile('stranger');
    const refused = await run('keys', 'set', '--key', stranger.path, '--add', stranger.path);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/UNKNOWN_KEY/);
  });

  it('changes nothing on 70 replays of a record, and players learn a chain of 70 records from the first key', async () => {
    const first = await keyFile('first');
    await ok('publish', '--key', first.path, '--color', '#444444');
    // 70 key sets, each handing the room to a new key and removing the one before.
    let current = first.key;
    const records = [];
    for (let version = 2; version <= 71; version++) {
      const next = await generateSigningKey();
      const record = await keySetRecord(ROOM, version, [next], [current, next]);
      const res = await fetch(server.url + ApiPath.keys(ROOM), {
        method: 'POST',
        body: JSON.stringify(record),
      });
      expect(res.status).toBe(200);
      records.push(record);
      current = next;
    }
    for (let i = 0; i < 70; i++) {
      const res = await fetch(server.url + ApiPath.keys(ROOM), {
        method: 'POST',
        body: JSON.stringify(records[i % 3]),
      });
      expect(res.status).toBe(409);
    }
    const keys = await keysOf();
    expect(keys.rotations).toHaveLength(70);
    expect(keys.keys.map((k) => k.keyId)).toEqual([current.keyId]);
    expect(await refusals(ErrorCode.STALE_KEY_SET)).toBe(70);

    const latest = server.relay.latest(ROOM)!;
    const built = await buildRelease({
      room: ROOM,
      key: current,
      previous: latest.release,
      slots: { theme: { kind: 'config', bytes: configBytes({ background: '#555555' }), version: '71' } },
    });
    expect((await postRelease(server.url, built)).status).toBe(201);
    const pinnedFirst = await player(first.key.publicKey);
    await until(() => pinnedFirst.seen.at(-1) === '#555555', 15_000);
  });
});

async function refusals(code: string): Promise<number> {
  const text = await (await fetch(server.url + '/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`patchcast_refusals_total{code="${code}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
