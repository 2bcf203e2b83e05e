/**
 * The garbage collector of unpublished uploads against publishes and uploads that happen while it
 * sweeps: a blob a release names, a publish in flight has pinned or an upload has just sent again is
 * never removed, and the release survives a restart.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiPath, generateSigningKey, parseSignedRelease, sha256Hex, utf8 } from '../protocol/index.ts';
import { buildRelease } from '../publisher/build.ts';
import { postRelease, startTestServer, type TestServer } from './testing/helpers.ts';

const HOUR = 60 * 60 * 1000;
const JUNK = 3000;

const dirs: string[] = [];
const servers: TestServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A data dir holding `count` unpublished uploads (written directly: thousands of fsyncs are slow). */
async function dataDirWithJunk(count: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'patchcast-gc-'));
  dirs.push(dir);
  for (let i = 0; i < count; i++) {
    const bytes = utf8(`junk upload ${i}`);
    const sha = createHash('sha256').update(bytes).digest('hex');
    mkdirSync(join(dir, 'blobs', sha.slice(0, 2)), { recursive: true });
    writeFileSync(join(dir, 'blobs', sha.slice(0, 2), sha), bytes);
  }
  return dir;
}

async function start(dataDir: string): Promise<TestServer> {
  const server = await startTestServer({ dataDir });
  servers.push(server);
  return server;
}

function blobFile(dataDir: string, sha: string): string {
  return join(dataDir, 'blobs', sha.slice(0, 2), sha);
}

/** Makes the relay expect `bytes` as an upload: a verified release names them (and is refused for now). */
async function announce(server: TestServer, bytes: Uint8Array): Promise<void> {
  const key = await generateSigningKey();
  const built = await buildRelease({
    room: 'announced',
    key,
    previous: null,
    slots: { logic: { kind: 'script', lang: 'js', bytes, version: '1.0.0' } },
  });
  const res = await postRelease(server.url, built, { publicKey: key.publicKey, omitBlobs: true });
  expect(res.status).toBe(409);
}

/** Uploads `bytes`; announced first by a release unless `again` (the relay still expects them). */
async function put(
  server: TestServer,
  bytes: Uint8Array,
  again = false,
): Promise<{ status: number; sha: string }> {
  const sha = await sha256Hex(bytes);
  if (!again) await announce(server, bytes);
  const res = await fetch(server.url + ApiPath.blob(sha), { method: 'PUT', body: new Uint8Array(bytes) });
  await res.arrayBuffer();
  return { status: res.status, sha };
}

async function blobStatus(server: TestServer, sha: string): Promise<number> {
  const res = await fetch(server.url + ApiPath.blob(sha));
  await res.arrayBuffer();
  return res.status;
}

describe('garbage collection of uploads', () => {
  it('keeps the blob of a publish that lands mid-sweep; the release survives a restart', async () => {
    const dataDir = await dataDirWithJunk(JUNK);
    const server = await start(dataDir);
    // Announced by a verified release, uploaded, then published again (what the publisher does with
    // big blobs).
    const script = utf8('export function update(b){return b} // uploaded with PUT');
    const key = await generateSigningKey();
    const built = await buildRelease({
      room: 'gc',
      key,
      previous: null,
      slots: { logic: { kind: 'script', lang: 'js', bytes: script, version: '1.0.0' } },
    });
    expect((await postRelease(server.url, built, { publicKey: key.publicKey, omitBlobs: true })).status).toBe(
      409,
    );
    const sha = await sha256Hex(script);
    const res0 = await fetch(server.url + ApiPath.blob(sha), { method: 'PUT', body: new Uint8Array(script) });
    expect(res0.status).toBe(201);

    // The hourly sweep, as if two hours had passed: every blob no release names is old enough to go,
    // the upload above included, and it comes last (after the thousands of junk files).
    let swept = false;
    const sweep = server.relay.store.collectGarbage(HOUR, Date.now() + 2 * HOUR).then((n) => {
      swept = true;
      return n;
    });
    const res = await postRelease(server.url, built, { publicKey: key.publicKey, omitBlobs: true });
    expect(res.status).toBe(201);
    expect(swept, 'the publish must land while the sweep runs').toBe(false);
    expect(await sweep).toBe(JUNK);
    expect(await blobStatus(server, sha)).toBe(200);

    await server.close();
    const again = await start(dataDir);
    const latest = parseSignedRelease(await (await fetch(again.url + ApiPath.release('gc'))).json());
    expect(latest.ok && latest.value).toEqual(built.signed);
    expect(await blobStatus(again, sha)).toBe(200);
  });

  it('an upload sent again gets a new hour: its mtime is refreshed', async () => {
    const dataDir = await dataDirWithJunk(0);
    const server = await start(dataDir);
    const bytes = utf8('export const uploaded = 1;');
    const { status, sha } = await put(server, bytes);
    expect(status).toBe(201);
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
    await utimes(blobFile(dataDir, sha), twoHoursAgo, twoHoursAgo);

    // "Known" — so the client will publish without sending it again.
    expect((await put(server, bytes, true)).status).toBe(200);
    expect(Date.now() - (await stat(blobFile(dataDir, sha))).mtimeMs).toBeLessThan(60_000);
    expect(await server.relay.store.collectGarbage(HOUR)).toBe(0);
    expect(await blobStatus(server, sha)).toBe(200);
  });

  it('keeps an upload sent again while the sweep runs, after the sweep found it old', async () => {
    const dataDir = await dataDirWithJunk(JUNK);
    const server = await start(dataDir);
    const bytes = utf8('export const uploaded = 2;');
    const { sha } = await put(server, bytes);
    // The sweep's clock says it is old, whatever its mtime: as if it had looked just before the PUT.
    let swept = false;
    const sweep = server.relay.store.collectGarbage(HOUR, Date.now() + 2 * HOUR).then((n) => {
      swept = true;
      return n;
    });
    expect((await put(server, bytes, true)).status).toBe(200);
    expect(swept, 'the upload must land while the sweep runs').toBe(false);
    expect(await sweep).toBe(JUNK);
    expect(await blobStatus(server, sha)).toBe(200);
  });

  it('leaves the blobs of a publish in flight alone until it is done', async () => {
    const dataDir = await dataDirWithJunk(0);
    const server = await start(dataDir);
    const { sha } = await put(server, utf8('export const pinned = 1;'));
    const store = server.relay.store;
    const unpin = store.pinBlobs([sha, sha]);
    const unpinAgain = store.pinBlobs([sha]);
    expect(await store.collectGarbage(HOUR, Date.now() + 2 * HOUR)).toBe(0);
    unpin();
    unpin();
    expect(await store.collectGarbage(HOUR, Date.now() + 2 * HOUR)).toBe(0);
    unpinAgain();
    expect(await store.collectGarbage(HOUR, Date.now() + 2 * HOUR)).toBe(1);
    expect(await blobStatus(server, sha)).toBe(404);
  });
});
