/**
 * A damaged data dir fails loudly. The relay runs as its own process (`patchcast serve`) on a data
 * dir that a first run filled; between runs the test damages it as a disk or a careless hand would:
 * a torn room.json (the room is quarantined, never taken over), a lost room.json (the same), a lost
 * blob (the room keeps its newest release, degraded, and heals when the blob comes back), a lost
 * release file (the relay still refuses its seq and says which one to use). Each is reported on
 * stderr at start, in `/healthz`, in `/metrics` and in the API.
 */
import { keySetRecord } from '../testing/key-sets.ts';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiPath,
  ErrorCode,
  generateSigningKey,
  parseErrorBody,
  parseHistoryBody,
  parseRoomsBody,
  parseSignedRelease,
  signRotation,
  utf8,
  type SignedRelease,
} from '../../protocol/index.ts';
import { TestRoom } from '../testing/helpers.ts';
import { killServeProcesses, spawnServe, type ServeProcess } from '../testing/serve-process.ts';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'patchcast-damage-'));
});
afterEach(async () => {
  killServeProcesses();
  await rm(dataDir, { recursive: true, force: true });
});

/** Starts `patchcast serve` on ephemeral ports over the test's data dir. */
function serve(demo = false): Promise<ServeProcess> {
  return spawnServe({ dataDir, demo, staticDir: dataDir });
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

interface Health {
  dataDir: {
    quarantined: { room: string; reason: string }[];
    degraded: { room: string; reasons: string[] }[];
  };
}

async function health(url: string): Promise<Health['dataDir']> {
  return ((await getJson(url + ApiPath.health())).body as Health).dataDir;
}

async function storeRooms(url: string, state: string): Promise<number> {
  const text = await (await fetch(url + ApiPath.metrics())).text();
  const m = new RegExp(`^patchcast_store_rooms\\{state="${state}"\\} (\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`no patchcast_store_rooms{state="${state}"} in /metrics`);
  return Number(m[1]);
}

function codeOf(body: unknown): string | undefined {
  const parsed = parseErrorBody(body);
  return parsed.ok ? parsed.value.error.code : undefined;
}

function messageOf(body: unknown): string | undefined {
  const parsed = parseErrorBody(body);
  return parsed.ok ? parsed.value.error.message : undefined;
}

/** A relay run that leaves room `r` with releases 1 and 2 (2 changes the logic script). */
async function twoReleases(): Promise<{ room: TestRoom; first: SignedRelease; second: SignedRelease }> {
  const relay = await serve();
  const room = await TestRoom.create(relay.url, 'r');
  const first = room.latest!;
  await room.publishScript('export function update(b){return {...b, x: b.x + 1}}\n', '1.0.1');
  const second = room.latest!;
  await relay.stop();
  return { room, first, second };
}

function blobFile(sha256: string): string {
  return join(dataDir, 'blobs', sha256.slice(0, 2), sha256);
}

function releaseFile(seq: number): string {
  return join(dataDir, 'rooms', 'r', 'releases', `${String(seq).padStart(12, '0')}.json`);
}

/** Someone with a key of their own tries to make room `r` theirs: a first release, then a genesis record. */
async function takeOver(url: string): Promise<string[]> {
  const intruder = new TestRoom(url, 'r', await generateSigningKey());
  const built = await intruder.build({
    slots: {
      logic: {
        kind: 'script',
        lang: 'js',
        bytes: utf8('export function update(b){return b}\n'),
        version: '9.0.0',
      },
    },
  });
  const published = await intruder.publish(built, { publicKey: intruder.key.publicKey });
  const record = await keySetRecord('r', 1, [intruder.key], [intruder.key]);
  const rotated = await fetch(url + ApiPath.keys('r'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(record),
  });
  return [
    `${published.status} ${codeOf(published.body)}`,
    `${rotated.status} ${codeOf(await rotated.json())}`,
  ];
}

describe('a damaged data dir fails loudly', () => {
  it('quarantines a room whose room.json is torn: reported at start, never taken over', async () => {
    await twoReleases();
    const recordPath = join(dataDir, 'rooms', 'r', 'room.json');
    const whole = await readFile(recordPath, 'utf8');
    await writeFile(recordPath, whole.slice(0, whole.length >> 1));

    const relay = await serve();
    expect(relay.stderr.join('\n')).toMatch(/room r QUARANTINED: room\.json is not JSON/);
    expect((await health(relay.url)).quarantined).toEqual([
      { room: 'r', reason: expect.stringContaining('not JSON') },
    ]);
    expect(await storeRooms(relay.url, 'quarantined')).toBe(1);
    const rooms = parseRoomsBody((await getJson(relay.url + ApiPath.rooms())).body);
    expect(rooms.ok && rooms.value.quarantined?.map((q) => q.room)).toEqual(['r']);

    expect(await takeOver(relay.url)).toEqual(['409 ROOM_QUARANTINED', '409 ROOM_QUARANTINED']);
    const release = await getJson(relay.url + ApiPath.release('r'));
    expect(`${release.status} ${codeOf(release.body)}`).toBe('409 ROOM_QUARANTINED');
    await relay.stop();
    // Nothing was written over the damaged record: the operator can still repair it.
    expect(await readFile(recordPath, 'utf8')).toBe(whole.slice(0, whole.length >> 1));
  });

  it('quarantines a room whose room.json is gone while its releases remain', async () => {
    await twoReleases();
    await rm(join(dataDir, 'rooms', 'r', 'room.json'));
    const relay = await serve();
    expect(relay.stderr.join('\n')).toMatch(
      /room r QUARANTINED: room\.json is missing but the room has releases/,
    );
    expect(await takeOver(relay.url)).toEqual(['409 ROOM_QUARANTINED', '409 ROOM_QUARANTINED']);
    await relay.stop();
  });

  it('starts without the demo room when the demo room is quarantined', async () => {
    const first = await serve(true);
    await first.stop();
    await writeFile(join(dataDir, 'rooms', 'demo', 'room.json'), '{"format":1,');
    const relay = await serve(true);
    expect(relay.stderr.join('\n')).toMatch(/room demo QUARANTINED: room\.json is not JSON/);
    expect((await health(relay.url)).quarantined.map((q) => q.room)).toEqual(['demo']);
    await relay.stop();
  });

  it('keeps serving the newest release when its blob is lost: degraded, never rolled back, healed by an upload', async () => {
    const { room, first, second } = await twoReleases();
    const lost = second.release.slots['logic']!.sha256;
    const bytes = await readFile(blobFile(lost));
    await rm(blobFile(lost));

    const relay = await serve();
    expect(relay.stderr.join('\n')).toMatch(
      new RegExp(`room r DEGRADED: blob ${lost} of slot logic \\(seq 2\\) is missing`),
    );
    const served = parseSignedRelease((await getJson(relay.url + ApiPath.release('r'))).body);
    expect(served.ok && served.value.release.seq).toBe(2);
    expect((await health(relay.url)).degraded).toEqual([
      { room: 'r', reasons: [expect.stringContaining(lost)] },
    ]);
    expect(await storeRooms(relay.url, 'degraded')).toBe(1);
    const rooms = parseRoomsBody((await getJson(relay.url + ApiPath.rooms())).body);
    expect(rooms.ok && rooms.value.rooms[0]).toMatchObject({
      room: 'r',
      seq: 2,
      lastSeq: 2,
      degraded: [expect.stringContaining(lost)],
    });

    // A publisher that saw only release 1 is told the seq to use.
    const behind = new TestRoom(relay.url, 'r', room.key);
    behind.latest = first;
    const stale = await behind.publish(await behind.build({ slots: {} }));
    expect(codeOf(stale.body)).toBe(ErrorCode.STALE_SEQ);
    expect(messageOf(stale.body)).toContain('publish 3 or above');

    const put = await fetch(relay.url + ApiPath.blob(lost), { method: 'PUT', body: bytes });
    expect(put.status).toBe(201);
    expect(await health(relay.url)).toEqual({ quarantined: [], degraded: [] });
    expect(await storeRooms(relay.url, 'ok')).toBe(1);
    await relay.stop();
  });

  it('remembers the last seq when the newest release file is lost: its seq stays refused', async () => {
    const { room, first } = await twoReleases();
    await rm(releaseFile(2));

    const relay = await serve();
    expect(relay.stderr.join('\n')).toMatch(
      /room r DEGRADED: release seq 2 was accepted but its file is lost/,
    );
    const history = parseHistoryBody((await getJson(relay.url + ApiPath.releases('r'))).body);
    expect(history.ok && [history.value.lastSeq, history.value.releases.map((r) => r.release.seq)]).toEqual([
      2,
      [1],
    ]);

    const behind = new TestRoom(relay.url, 'r', room.key);
    behind.latest = first;
    const again = await behind.publish(await behind.build({ slots: {} }));
    expect(`${again.status} ${codeOf(again.body)}`).toBe('409 STALE_SEQ');
    expect(messageOf(again.body)).toContain('the last seq this relay accepted in room "r" is 2');

    // Told 2, the publisher goes above it.
    behind.latest = { ...first, release: { ...first.release, seq: 2 } };
    const next = await behind.publish(await behind.build({ slots: {} }));
    expect(next.status).toBe(201);
    expect(await health(relay.url)).toEqual({ quarantined: [], degraded: [] });
    await relay.stop();
  });

  it('reports a blob lost under a running relay and marks its room degraded', async () => {
    const { second } = await twoReleases();
    const relay = await serve();
    const lost = second.release.slots['logic']!.sha256;
    await rm(blobFile(lost));
    expect((await fetch(relay.url + ApiPath.blob(lost))).status).toBe(404);
    expect(relay.stderr.join('\n')).toMatch(
      new RegExp(`blob ${lost} is missing from the data dir \\(ENOENT\\); named in room\\(s\\) r`),
    );
    expect((await health(relay.url)).degraded.map((d) => d.room)).toEqual(['r']);
    await relay.stop();
  });
});
