/**
 * The CLI against a relay that lies: it serves a "current release" signed by a key of its own (which
 * it lists as a room key) with a script it chose. Publishing a colour, or rolling back, must not sign
 * that script with the room key.
 */
import { createServer, type Server } from 'node:http';
import { keySetRecord } from '../testing/key-sets.ts';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiPath,
  fromKeyFile,
  generateSigningKey,
  parseKeyFile,
  signRotation,
  utf8,
  type SignedRelease,
} from '../../protocol/index.ts';
import { buildRelease } from '../../publisher/build.ts';
import { runCli, type CliResult } from '../testing/cli-run.ts';

let dir: string;
let relay: Server;
let url: string;
let posts: string[];
let latest: SignedRelease;
let history: SignedRelease[];
let rotations: unknown[];

function run(...argv: string[]): Promise<CliResult> {
  return runCli({ server: url, anonymous: true }, argv);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patchcast-liar-'));
  posts = [];
  relay = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') {
      posts.push(`${req.method} ${req.url}`);
      req.resume();
      return send(201, { room: 'r', seq: 99, version: 'x' });
    }
    if (req.url === ApiPath.release('r')) return send(200, latest);
    if (req.url === ApiPath.releases('r')) return send(200, { room: 'r', releases: history });
    if (req.url === ApiPath.keys('r')) return send(200, { room: 'r', keys: [], rotations });
    return send(404, { error: { code: 'NO_SUCH_ROOM', message: 'no' } });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise((r) => relay.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function setUp(): Promise<string> {
  const keyPath = join(dir, 'r.key.json');
  expect((await run('keygen', '--out', keyPath, '--room', 'r')).code).toBe(0);
  const parsed = parseKeyFile(JSON.parse(await readFile(keyPath, 'utf8')));
  if (!parsed.ok) throw new Error(parsed.message);
  const mine = await fromKeyFile(parsed.value);
  const relayKey = await generateSigningKey();
  // An honest first release, signed by our key…
  const { signed: first } = await buildRelease({
    room: 'r',
    key: mine,
    previous: null,
    slots: { logic: { kind: 'script', bytes: utf8('export function update(b){return b}'), version: '1' } },
  });
  // …and the relay's own "current" release on top of it, with its script, signed by its own key,
  // which it "rotated in" with a record signed by itself.
  const { signed: evil } = await buildRelease({
    room: 'r',
    key: relayKey,
    previous: first.release,
    slots: {
      logic: { kind: 'script', bytes: utf8('export function update(){ /* the relay */ }'), version: '2' },
    },
  });
  rotations = [await keySetRecord('r', 1, [relayKey], [relayKey])];
  latest = evil;
  history = [evil, first];
  return keyPath;
}

describe('the CLI against an untrusted relay', () => {
  it('refuses to publish on top of a current release signed by a key it does not trust', async () => {
    const keyPath = await setUp();
    const res = await run('publish', '--key', keyPath, '--color', '#000000');
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^UNKNOWN_KEY: not building on the live release/);
    expect(res.err).toContain('pass that key with --trust');
    expect(posts).toEqual([]);
  });

  it('refuses to roll back when the current release or the target is not signed by a trusted key', async () => {
    const keyPath = await setUp();
    const res = await run('rollback', '--key', keyPath, '--to-seq', '1');
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^UNKNOWN_KEY: not building on the live release/);
    // The live release is the highest seq, whatever order the relay lists the history in.
    history = [...history].reverse();
    const unsorted = await run('rollback', '--key', keyPath, '--to-seq', '1');
    expect(unsorted.code).toBe(1);
    expect(unsorted.err).toMatch(/^UNKNOWN_KEY: not building on the live release/);
    expect(posts).toEqual([]);
  });
});
