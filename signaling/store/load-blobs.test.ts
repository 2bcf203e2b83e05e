/**
 * A data dir's `blobs/` at start (`load.ts`): every blob file is found, the temp files a crash left
 * are removed (and said), and the 256 `blobs/<aa>` directories exist afterwards.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadDataDir } from './load.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patchcast-load-blobs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('finds the blobs, removes a crash’s temp files, and makes every blobs/<aa>', async () => {
  const a = 'ab'.padEnd(64, '1');
  const b = 'ff'.padEnd(64, '2');
  await mkdir(join(dir, 'blobs', 'ab'), { recursive: true });
  await mkdir(join(dir, 'blobs', 'ff'), { recursive: true });
  await writeFile(join(dir, 'blobs', 'ab', a), 'a');
  await writeFile(join(dir, 'blobs', 'ab', `.tmp-${a}-123456`), 'half');
  await writeFile(join(dir, 'blobs', 'ff', b), 'b');
  const said: string[] = [];
  const loaded = await loadDataDir(dir, (line) => said.push(line));
  expect([...loaded.blobs].sort()).toEqual([a, b]);
  expect(await readdir(join(dir, 'blobs', 'ab'))).toEqual([a]);
  expect(said.filter((l) => l.includes('unfinished blob write'))).toEqual([
    `removed 1 unfinished blob write(s) in ${join(dir, 'blobs', 'ab')}`,
  ]);
  expect((await readdir(join(dir, 'blobs'))).length).toBe(256);
});
