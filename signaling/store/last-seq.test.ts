/**
 * A room's last-seq record (`rooms/<room>/last-seq.json`) is written behind the release that raised
 * it, not on the publish's way to its answer: the record ends at the highest seq of a burst of
 * releases once the store has closed (closing waits for it), a store opened again without the newest
 * release file still knows that seq, and a record that cannot be written is said and loses nothing.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKey, trustKeys, type Release } from '../../protocol/index.ts';
import { buildRelease } from '../../publisher/build.ts';
import { TestRoom, startTestServer, type TestServer } from '../testing/helpers.ts';
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

describe('the last-seq record', () => {
  it('ends at the highest seq of a burst once the store has closed, and outlives the newest release file', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'patchcast-last-seq-'));
    const key = await generateSigningKey();
    const store = await RelayStore.open(dataDir);
    await store.saveRoom({
      room: 'q',
      createdAt: new Date().toISOString(),
      trusted: await trustKeys([key.publicKey]),
      rotations: [],
      history: [],
    });
    let previous: Release | null = null;
    for (let seq = 1; seq <= 8; seq++) {
      const built = await buildRelease({ room: 'q', key, previous, slots: {} });
      await store.saveRelease(built.signed);
      previous = built.signed.release;
    }
    expect(store.lastSeq('q')).toBe(8);
    await store.close();
    const record: unknown = JSON.parse(await readFile(join(roomDir(dataDir), 'last-seq.json'), 'utf8'));
    expect(record).toEqual({ format: 1, seq: 8 });

    // The newest release's file lost: the record still holds its seq, which stays taken.
    await rm(releaseFile(dataDir, 8));
    const again = await RelayStore.open(dataDir);
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
