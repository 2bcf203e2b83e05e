/**
 * The per-room quota of releases kept, on a real relay: old history is pruned (files too), blobs that
 * no kept release names are collected, blobs still named stay, and the room's last seq survives a
 * restart.
 */
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiPath, parseHistoryBody, sha256Hex, utf8 } from '../../protocol/index.ts';
import { TestRoom, startTestServer, until, type TestServer } from '../testing/helpers.ts';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.dispose();
  server = null;
});

const onDisk = (dataDir: string, sha: string) =>
  access(join(dataDir, 'blobs', sha.slice(0, 2), sha)).then(
    () => true,
    () => false,
  );

describe('releases kept per room', () => {
  it('prunes history over the quota, collects blobs no kept release names, keeps the last seq', async () => {
    const options = { maxReleasesPerRoom: 3, relayLimits: { uploadWindowMs: 1 } };
    server = await startTestServer(options);
    const room = await TestRoom.create(server.url, 'q');
    const scripts: string[] = [];
    for (let i = 2; i <= 6; i++) {
      const source = `export function update(b){return b} // ${i}\n`;
      scripts.push(await sha256Hex(utf8(source)));
      await room.publishScript(source, `1.0.${i}`);
    }
    const history = async () => {
      const body = parseHistoryBody(await (await fetch(server!.url + ApiPath.releases('q'))).json());
      return body.ok ? body.value.releases.map((s) => s.release.seq) : [];
    };
    await until(async () => (await history()).length === 3, 5_000);
    expect(await history()).toEqual([6, 5, 4]);
    // The history is trimmed in memory first, then the pruned releases' files are removed: wait for those.
    const releaseFiles = async () =>
      (await readdir(join(server!.dataDir, 'rooms', 'q', 'releases'))).filter((f) => f.endsWith('.json'));
    await until(async () => (await releaseFiles()).length === 3, 5_000);
    expect(await releaseFiles()).toHaveLength(3);
    // Scripts of seq 2 and 3 are named by no kept release: collected. The texture of seq 1 is still
    // named (every release carries it over): kept.
    await until(async () => !(await onDisk(server!.dataDir, scripts[0]!)), 5_000);
    await until(async () => !(await onDisk(server!.dataDir, scripts[1]!)), 5_000);
    expect(await onDisk(server.dataDir, scripts[4]!)).toBe(true);
    const texture = room.latest!.release.slots['background']!.sha256;
    expect(await onDisk(server.dataDir, texture)).toBe(true);
    expect((await fetch(`${server.url}${ApiPath.blob(texture)}`)).status).toBe(200);

    // After a restart: still three releases, and the next publish goes above seq 6.
    const dataDir = server.dataDir;
    await server.close();
    server = await startTestServer({ ...options, dataDir });
    expect(await history()).toEqual([6, 5, 4]);
    expect(server.relay.lastSeq('q')).toBe(6);
    room.url = server.url;
    await room.publishScript('export function update(b){return b} // 7\n', '1.0.7');
    await until(async () => (await history()).join() === '7,6,5', 5_000);
  });
});
