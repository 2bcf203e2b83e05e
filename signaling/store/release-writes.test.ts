/**
 * How a release is written. Its file is staged (written and fsynced under a temp name) beside the
 * writes of the blobs that came with it, and put in place only once they are done — never if they
 * fail. A room's last-seq record (`rooms/<room>/last-seq.json`) is written behind the release that
 * raised it, not on the publish's way to its answer: the record ends at the highest seq of a burst of
 * releases once the store has closed (closing waits for it), a store opened again without the newest
 * release file still knows that seq, and a record that cannot be written is said and loses nothing.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKey, trustKeys, utf8, type Release, type SigningKey } from '../../protocol/index.ts';
import { buildRelease } from '../../publisher/build.ts';
import { TestRoom, startTestServer, until, type TestServer } from '../testing/helpers.ts';
import { RelayStore } from './store.ts';

let server: TestServer | null = null;
let dataDir: string | null = null;
afterEach(async () => {
  await server?.dispose();
  server = null;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  dataDir = null;
});

const roomDir = (dir: string) => join(dir, 'rooms', 'q');
const releaseFile = (dir: string, seq: number) =>
  join(roomDir(dir), 'releases', `${String(seq).padStart(12, '0')}.json`);

/** A store over a fresh data dir with room `q`, trusting `key`. */
async function storeWithRoom(key: SigningKey): Promise<{ store: RelayStore; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'patchcast-release-writes-'));
  dataDir = dir;
  const store = await RelayStore.open(dir);
  await store.saveRoom({
    room: 'q',
    createdAt: new Date().toISOString(),
    trusted: await trustKeys([key.publicKey]),
    rotations: [],
    history: [],
  });
  return { store, dir };
}

/** Release 1 of room `q`: a logic script, with its blob. */
async function scriptRelease(key: SigningKey) {
  const built = await buildRelease({
    room: 'q',
    key,
    previous: null,
    slots: {
      logic: {
        kind: 'script',
        lang: 'js',
        bytes: utf8('export function update(b){return b}\n'),
        version: '1.0.0',
      },
    },
  });
  const [sha, bytes] = [...built.blobs][0]!;
  return { signed: built.signed, sha, bytes };
}

/** Names in the room's releases directory. */
const releaseDirNames = async (dir: string) => readdir(join(roomDir(dir), 'releases')).catch(() => []);

describe('a release written beside its blobs', () => {
  it('is staged while they are written and in place only once they are', async () => {
    const key = await generateSigningKey();
    const { store, dir } = await storeWithRoom(key);
    const { signed, sha, bytes } = await scriptRelease(key);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const saving = store.saveRelease(
      signed,
      gate.then(() => store.putBlob(sha, bytes)),
    );
    // Its temp file is written while the blob's write has not even started; the release is not in.
    await until(async () => (await releaseDirNames(dir)).some((n) => n.startsWith('.tmp-')), 5_000);
    expect(await releaseDirNames(dir)).not.toContain('000000000001.json');
    expect(store.room('q')?.history).toEqual([]);
    open();
    await saving;
    expect(await releaseDirNames(dir)).toEqual(['000000000001.json']);
    expect(store.room('q')?.history.map((s) => s.release.seq)).toEqual([1]);
    expect(store.hasBlob(sha)).toBe(true);
    await store.close();
  });

  it('is dropped, temp file and all, when their write fails', async () => {
    const key = await generateSigningKey();
    const { store, dir } = await storeWithRoom(key);
    const { signed } = await scriptRelease(key);
    const failed = new Promise<void>((_, reject) =>
      setTimeout(() => reject(new Error('ENOSPC: no space left on device')), 50),
    );
    await expect(store.saveRelease(signed, failed)).rejects.toThrow(/ENOSPC/);
    await until(async () => (await releaseDirNames(dir)).length === 0, 5_000, 'the temp file removed');
    expect(store.room('q')?.history).toEqual([]);
    expect(store.lastSeq('q')).toBe(0);
    await store.close();
  });
});

describe('the last-seq record', () => {
  it('ends at the highest seq of a burst once the store has closed, and outlives the newest release file', async () => {
    const key = await generateSigningKey();
    const { store, dir } = await storeWithRoom(key);
    let previous: Release | null = null;
    for (let seq = 1; seq <= 8; seq++) {
      const built = await buildRelease({ room: 'q', key, previous, slots: {} });
      await store.saveRelease(built.signed);
      previous = built.signed.release;
    }
    expect(store.lastSeq('q')).toBe(8);
    await store.close();
    const record: unknown = JSON.parse(await readFile(join(roomDir(dir), 'last-seq.json'), 'utf8'));
    expect(record).toEqual({ format: 1, seq: 8 });

    // The newest release's file lost: the record still holds its seq, which stays taken.
    await rm(releaseFile(dir, 8));
    const again = await RelayStore.open(dir);
    expect(again.lastSeq('q')).toBe(8);
    expect(again.room('q')?.history.map((s) => s.release.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('that cannot be written is said in the log; the release is kept and served', async () => {
    const lines: string[] = [];
    server = await startTestServer({ log: (line) => lines.push(line) });
    // A directory where the room's record will go: its rename fails.
    await mkdir(join(roomDir(server.dataDir), 'last-seq.json', 'in-the-way'), { recursive: true });
    const room = await TestRoom.create(server.url, 'q');
    await room.publishScript('export function update(b){return b} // 2\n', '1.0.2');
    await server.close();
    expect(lines.join('\n')).toMatch(/room q: last-seq record not written/);
    expect(server.relay.lastSeq('q')).toBe(2);
    expect(room.latest?.release.seq).toBe(2);
  });
});
