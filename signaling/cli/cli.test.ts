/**
 * The `patchcast` commands, run in-process against a real server: keygen, room create, publish
 * (script, texture, colour; refusals with their code), status, history, rollback, play.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiPath,
  parseConfigBlob,
  parseHistoryBody,
  parseKeyFile,
  parseRosterBody,
  parseSignedRelease,
  sha256Hex,
} from '../../protocol/index.ts';
import { RawConn, pngBytes, startTestServer, until, type TestServer } from '../testing/helpers.ts';
import { COMMANDS } from './main.ts';
import { runCli, type CliResult } from '../testing/cli-run.ts';

let server: TestServer;
let dir: string;

beforeEach(async () => {
  server = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'patchcast-cli-'));
});
afterEach(async () => {
  await server.dispose();
  await rm(dir, { recursive: true, force: true });
});

function run(...argv: string[]): Promise<CliResult> {
  return runCli({ server: server.url }, argv);
}

async function keyFile(room = 'cli'): Promise<string> {
  const path = join(dir, `${room}.key.json`);
  expect((await run('keygen', '--out', path, '--room', room)).code).toBe(0);
  return path;
}

async function latestSeq(room: string): Promise<number> {
  const history = parseHistoryBody(await (await fetch(server.url + ApiPath.releases(room))).json());
  return history.ok ? (history.value.releases[0]?.release.seq ?? 0) : 0;
}

async function latestVersionOf(room: string, slot: string): Promise<string | undefined> {
  const history = parseHistoryBody(await (await fetch(server.url + ApiPath.releases(room))).json());
  return history.ok ? history.value.releases[0]?.release.slots[slot]?.version : undefined;
}

describe('patchcast', () => {
  it('prints help, and refuses unknown commands', async () => {
    expect((await run('--help')).out).toContain('publish');
    expect((await run('publish', '--help')).out).toContain('--texture');
    expect((await run('frobnicate')).code).toBe(2);
  });

  it('refuses an unknown flag with the usage and exit code 2, and publishes nothing', async () => {
    const key = await keyFile();
    const script = join(dir, 'l.js');
    await writeFile(script, 'export const v = 1;');
    expect((await run('publish', '--key', key, '--script', script)).code).toBe(0);
    const bogus = await run('publish', '--key', key, '--script', script, '--canary', '5', '--bogus');
    expect(bogus.code).toBe(2);
    expect(bogus.err).toMatch(/Unknown option '--canary'/);
    expect(bogus.err).toContain('patchcast publish --room R');
    const stray = await run('publish', '--key', key, 'extra');
    expect(stray.code).toBe(2);
    expect(stray.err).toMatch(/Unexpected argument 'extra'/);
    const noValue = await run('publish', '--key');
    expect(noValue.code).toBe(2);
    expect((await run('serve', '--no-such-flag')).code).toBe(2);
    const egress = await run('serve', '--egress-limit', 'fast');
    expect(egress.code).toBe(2);
    expect(egress.err).toMatch(/--egress-limit takes bytes or bits per second/);
    expect((await run('play', '--room', 'cli', '--bogus')).code).toBe(2);
    expect((await run('status', '--room', 'cli', '--json=yes')).code).toBe(2);
    expect((await run('--bogus')).code).toBe(2);
    expect(await latestSeq('cli')).toBe(1);
  });

  it('takes every flag its help names, and --flag=value', async () => {
    for (const [name, command] of Object.entries(COMMANDS)) {
      const named = new Set([...command.help.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!));
      expect(named.size, name).toBeGreaterThan(0);
      for (const flag of named) {
        if (flag !== 'help') expect(Object.keys(command.options), `${name} --${flag}`).toContain(flag);
      }
    }
    const key = await keyFile();
    const script = join(dir, 'l.js');
    await writeFile(script, 'export const v = 1;');
    expect((await run('publish', `--key=${key}`, `--script=${script}`, '--version=7.0.0')).out).toContain(
      'version 7.0.0',
    );
  });

  it('keygen writes a key file readable only by its owner, and will not overwrite it', async () => {
    const path = join(dir, 'k.json');
    const res = await run('keygen', '--out', path);
    expect(res.code).toBe(0);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(parseKeyFile(JSON.parse(await readFile(path, 'utf8'))).ok).toBe(true);
    expect((await run('keygen', '--out', path)).code).toBe(2);
    expect((await run('keygen', '--out', path, '--force')).code).toBe(0);
  });

  it('creates a room, publishes script, texture and colour, and shows status and history', async () => {
    const key = await keyFile();
    expect((await run('room', 'create', '--key', key)).code).toBe(0);
    expect((await run('room', 'create', '--key', key)).out).toContain('trusts key');

    const script = join(dir, 'logic.js');
    await writeFile(script, 'export function update(ball, world, dt) { return ball; }\n');
    const first = await run(
      'publish',
      '--key',
      key,
      '--script',
      script,
      '--version',
      '1.0.0',
      '--notes',
      'first',
    );
    expect(first.err).toBe('');
    expect(first.out).toContain('seq 1');

    const png = join(dir, 'bg.png');
    const pngData = await pngBytes(800, 600, '#224466');
    await writeFile(png, pngData);
    const second = await run('publish', '--key', key, '--texture', png, '--color', '#334455', '--json');
    expect(JSON.parse(second.out)).toEqual({ room: 'cli', seq: 2, version: '1.0.1' });
    const history = parseHistoryBody(await (await fetch(server.url + ApiPath.releases('cli'))).json());
    if (!history.ok) throw new Error(history.message);
    const latest = history.value.releases[0]!.release;
    expect(latest.slots['background']).toMatchObject({
      kind: 'texture',
      mime: 'image/png',
      sha256: await sha256Hex(pngData),
    });
    expect(latest.slots['logic']?.version).toBe('1.0.0');
    const theme = await fetch(server.url + ApiPath.blob(latest.slots['theme']!.sha256));
    const parsed = parseConfigBlob('theme', new Uint8Array(await theme.arrayBuffer()));
    expect(parsed.ok && parsed.value).toEqual({ background: '#334455' });

    // The colour merges into the theme it finds.
    await run('publish', '--key', key, '--ball-color', '#ff0000', '--ball-radius', '20');
    const after = parseSignedRelease(await (await fetch(server.url + ApiPath.release('cli'))).json());
    if (!after.ok) throw new Error(after.message);
    const theme2 = await fetch(server.url + ApiPath.blob(after.value.release.slots['theme']!.sha256));
    expect(await theme2.json()).toEqual({ background: '#334455', ball: '#ff0000', ballRadius: 20 });

    const hist = await run('history', '--room', 'cli');
    expect(hist.out.split('\n')[0]).toMatch(/^SEQ\s+VERSION/);
    expect(hist.out).toContain('background@1.0.1');
    expect(hist.out).toContain('first');

    const c = await RawConn.open(server, 'tcp');
    c.hello({ room: 'cli', clientId: 'viewer', platform: 'bad\u001b[31mterm' });
    await c.next('welcome');
    c.send({ type: 'heartbeat', traffic: { bytesFromRelay: 1024, bytesFromPeers: 3072, peers: 2 } });
    const anonymous = await run('status', '--room', 'cli');
    expect(anonymous.out).toContain('1 client(s) (per-client entries need --key)');
    expect(anonymous.out).not.toContain('viewer');
    await until(async () => (await run('status', '--room', 'cli', '--key', key)).out.includes('offload'));
    const st = await run('status', '--room', 'cli', '--key', key);
    expect(st.out).toContain('viewer');
    expect(st.out).toMatch(
      /seq \d+: 1 client\(s\), 1\.0 KiB from the relay, 3\.0 KiB from peers \(offload 75%\)/,
    );
    expect(st.out).toContain('bad\\x1b[31mterm');
    const json = parseRosterBody(
      JSON.parse((await run('status', '--room', 'cli', '--key', key, '--json')).out),
    );
    expect(json.ok && json.value.clients.find((x) => x.role === 'player')?.clientId).toBe('viewer');
    c.close();
  });

  it('creates the room on the first publish when it does not exist', async () => {
    const key = await keyFile('fresh');
    const script = join(dir, 'l.js');
    await writeFile(script, 'export const x = 1;');
    expect((await run('publish', '--key', key, '--script', script)).code).toBe(0);
  });

  it('exits non-zero with the refusal code when the relay refuses', async () => {
    const key = await keyFile();
    const notPng = join(dir, 'fake.png');
    await writeFile(notPng, '<svg>not a png</svg>');
    await run('room', 'create', '--key', key);
    const res = await run('publish', '--key', key, '--texture', notPng);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^BAD_IMAGE: /);
    const stranger = await keyFile('stranger');
    const script = join(dir, 'l.js');
    await writeFile(script, 'export const x = 1;');
    const wrongKey = await run('publish', '--key', stranger, '--room', 'cli', '--script', script);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.err).toMatch(/^UNKNOWN_KEY: /);
    const badColour = await run('publish', '--key', key, '--color', 'red');
    expect(badColour.code).toBe(2);
    expect(badColour.err).toMatch(/^BAD_CONFIG: /);
  });

  it('rolls back: a new release with the old blobs', async () => {
    const key = await keyFile();
    const script = join(dir, 'l.js');
    await writeFile(script, 'export const v = 1;');
    await run('publish', '--key', key, '--script', script, '--version', '1.0.0');
    await writeFile(script, 'export const v = 2;');
    await run('publish', '--key', key, '--script', script, '--version', '2.0.0');
    expect(await latestVersionOf('cli', 'logic')).toBe('2.0.0');
    const res = await run('rollback', '--key', key, '--to-seq', '1');
    expect(res.code).toBe(0);
    expect(res.out).toContain('new seq 3');
    expect(await latestVersionOf('cli', 'logic')).toBe('1.0.0');
    const missing = await run('rollback', '--key', key, '--to-seq', '9');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^NO_SUCH_RELEASE: /);
  });

  it('play follows a room, caches it, acks, and starts from its cache when the relay is gone', async () => {
    const key = await keyFile();
    const script = join(dir, 'l.js');
    await writeFile(script, 'export const v = 1;');
    await run('publish', '--key', key, '--script', script, '--version', '1.0.0');
    const keyJson = parseKeyFile(JSON.parse(await readFile(key, 'utf8')));
    if (!keyJson.ok) throw new Error(keyJson.message);
    const cache = join(dir, 'cache');
    const tcp = `${server.host}:${server.tcpPort}`;
    const played = await run(
      'play',
      '--room',
      'cli',
      '--key',
      keyJson.value.publicKey,
      '--tcp',
      tcp,
      '--cache',
      cache,
      '--once',
      '--client-id',
      'bot',
    );
    expect(played.code).toBe(0);
    expect(played.out).toContain('applied seq 1 (version 1.0.0) from relay');
    expect(JSON.parse(await readFile(join(cache, 'cli', 'state.json'), 'utf8')).seq).toBe(1);
    const roster = parseRosterBody(await (await fetch(server.url + ApiPath.clients('cli'))).json());
    expect(roster.ok).toBe(true);

    await server.close();
    const offline = await run(
      'play',
      '--room',
      'cli',
      '--key',
      keyJson.value.publicKey,
      '--tcp',
      tcp,
      '--cache',
      cache,
      '--once',
      '--timeout',
      '700',
    );
    expect(offline.out).toContain('applied seq 1 (version 1.0.0) from cache');
    expect(offline.out).toContain('disconnected');
    expect(offline.code).toBe(0);
  });
});

describe('patchcast publish --slot / --remove', () => {
  it('publishes, replaces and removes slots a game names', async () => {
    const key = await keyFile('game');
    const ai = join(dir, 'enemy-ai.script.js');
    const level = join(dir, 'level-1.texture.png');
    const tuning = join(dir, 'tuning.config.json');
    await writeFile(ai, 'export function think(enemy, player, dt) { return enemy; }\n');
    await writeFile(level, await pngBytes(32, 32, '#00aa00'));
    await writeFile(tuning, '{"speed": 2, "enemies": 5}');
    const first = await run(
      'publish',
      '--key',
      key,
      '--slot',
      `enemy-ai=script:${ai}`,
      '--slot',
      `level-1=texture:${level}`,
      '--slot',
      `tuning=config:${tuning}`,
    );
    expect(first.err).toBe('');
    expect(first.out).toContain('changed: enemy-ai, level-1, tuning');
    const slots = async () => {
      const r = parseSignedRelease(await (await fetch(server.url + ApiPath.release('game'))).json());
      if (!r.ok) throw new Error(r.message);
      return r.value.release.slots;
    };
    expect(await slots()).toMatchObject({
      'enemy-ai': { kind: 'script', lang: 'js', version: '1.0.0' },
      'level-1': { kind: 'texture', mime: 'image/png' },
      tuning: { kind: 'config' },
    });
    // Replace one, remove another; the third carries over.
    await writeFile(tuning, '{"speed": 3, "enemies": 5}');
    const second = await run(
      'publish',
      '--key',
      key,
      '--slot',
      `tuning=config:${tuning}`,
      '--remove',
      'level-1',
    );
    expect(second.out).toContain('changed: tuning, level-1');
    const after = await slots();
    expect(Object.keys(after).sort()).toEqual(['enemy-ai', 'tuning']);
    expect(after['tuning']?.version).toBe('1.0.1');
    expect(after['enemy-ai']?.version).toBe('1.0.0');
    // The same content again is not a change.
    const same = await run('publish', '--key', key, '--slot', `tuning=config:${tuning}`);
    expect(same.code).toBe(1);
    expect(same.err).toMatch(/^NOTHING_TO_PUBLISH: /);
  });

  it('refuses bad slot flags before talking to the relay', async () => {
    const key = await keyFile('game');
    const file = join(dir, 'x.js');
    await writeFile(file, 'export const x = 1;');
    const cases: [string[], RegExp][] = [
      [['--slot', `Bad=script:${file}`], /^BAD_SLOT: /],
      [['--slot', `ai=sound:${file}`], /expected NAME=script:FILE/],
      [['--slot', `cfg=config:${file}`], /^BAD_CONFIG: /],
      [
        ['--script', file, '--slot', `logic=script:${file}`],
        /slot logic is given by both --script and --slot/,
      ],
      [['--remove', 'theme', '--color', '#000000'], /slot theme is given by both/],
      [['--rollout', '150', '--script', file], /--rollout/],
    ];
    for (const [flags, message] of cases) {
      const res = await run('publish', '--key', key, ...flags);
      expect(res.code, flags.join(' ')).toBe(2);
      expect(res.err, flags.join(' ')).toMatch(message);
    }
    expect(await latestSeq('game')).toBe(0);
  });
});
