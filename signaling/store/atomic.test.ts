/**
 * Durable directories: a directory that `writeFileAtomic` (or the store) creates is fsynced into its
 * parent, every level of it, so a power cut cannot lose a directory whose files were fsynced.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirDurable, stageFile, writeFileAtomic } from './atomic.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'patchcast-atomic-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('mkdirDurable', () => {
  it('creates every missing level and fsyncs each into its parent, deepest first', async () => {
    const synced: string[] = [];
    const record = async (dir: string) => {
      synced.push(dir);
    };
    await mkdirDurable(join(root, 'a', 'b', 'c'), record);
    expect((await stat(join(root, 'a', 'b', 'c'))).isDirectory()).toBe(true);
    expect(synced).toEqual([join(root, 'a', 'b'), join(root, 'a'), root]);

    synced.length = 0;
    await mkdirDurable(join(root, 'a', 'b', 'c'), record);
    expect(synced).toEqual([]);
    await mkdirDurable(join(root, 'a', 'd'), record);
    expect(synced).toEqual([join(root, 'a')]);
  });

  it('is what writeFileAtomic uses for a file in a new directory (with the real fsync)', async () => {
    await writeFileAtomic(join(root, 'rooms', 'r', 'releases', 'x.json'), '{}');
    expect(await readFile(join(root, 'rooms', 'r', 'releases', 'x.json'), 'utf8')).toBe('{}');
  });
});

describe('stageFile', () => {
  it('keeps the bytes out of sight until commit, and discard leaves nothing', async () => {
    const target = join(root, 'blobs', 'ab', 'abc');
    const kept = await stageFile(target, 'kept');
    const dropped = await stageFile(join(root, 'blobs', 'ab', 'abd'), 'dropped');
    // Both written and fsynced, neither in place.
    expect((await readdir(join(root, 'blobs', 'ab'))).every((n) => n.startsWith('.tmp-'))).toBe(true);
    await expect(stat(target)).rejects.toThrow();
    await kept.commit();
    await dropped.discard();
    expect(await readdir(join(root, 'blobs', 'ab'))).toEqual(['abc']);
    expect(await readFile(target, 'utf8')).toBe('kept');
  });

  it('writes every byte of a big blob, and a string as UTF-8, whatever the view', async () => {
    const big = new Uint8Array(5 * 1024 * 1024 + 7).map((_, i) => (i * 131) % 251);
    // A view into a larger buffer, not at its start: only the view's bytes are written.
    const padded = new Uint8Array(big.length + 16);
    padded.set(big, 8);
    await (await stageFile(join(root, 'big'), padded.subarray(8, 8 + big.length))).commit();
    const written = await readFile(join(root, 'big'));
    expect(written.length).toBe(big.length);
    expect(Buffer.compare(written, big)).toBe(0);
    await writeFileAtomic(join(root, 'text'), 'héllo ✓');
    expect(await readFile(join(root, 'text'), 'utf8')).toBe('héllo ✓');
  });
});
