/**
 * Durable directories: a directory that `writeFileAtomic` (or the store) creates is fsynced into its
 * parent, every level of it, so a power cut cannot lose a directory whose files were fsynced — made
 * once per process, and again if removed since. Staged files: out of sight until commit, written as
 * their bytes arrive, nothing left when discarded.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirDurable, mkdirsDurable, stageArriving, stageFile, writeFileAtomic } from './atomic.ts';

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

describe('stageArriving', () => {
  it('writes the bytes as they arrive, out of sight; staged() writes the rest and fsyncs', async () => {
    const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) % 256);
    const target = join(root, 'blobs', 'cd', 'cde');
    const arriving = stageArriving(target, bytes);
    arriving.advance(1024 * 1024);
    const temps = async () => (await readdir(join(root, 'blobs', 'cd'))).filter((n) => n.startsWith('.tmp-'));
    // The first megabyte reaches the temp file with the rest still to come.
    await expect
      .poll(
        async () => {
          const [temp] = await temps().catch(() => []);
          return temp ? (await stat(join(root, 'blobs', 'cd', temp))).size : 0;
        },
        { timeout: 10_000 },
      )
      .toBe(1024 * 1024);
    arriving.advance(2 * 1024 * 1024);
    const staged = await arriving.staged();
    await expect(stat(target)).rejects.toThrow();
    await staged.commit();
    expect(Buffer.compare(await readFile(target), bytes)).toBe(0);
    expect(await temps()).toEqual([]);
  });

  it('discarded half way leaves nothing', async () => {
    const arriving = stageArriving(join(root, 'half'), new Uint8Array(1024 * 1024));
    arriving.advance(512 * 1024);
    await arriving.discard();
    expect(await readdir(root)).toEqual([]);
  });

  it('makes a directory again when it was removed after its first file', async () => {
    // The directory is remembered as made: removed behind the process's back, it is made again.
    const dir = join(root, 'gone');
    await writeFileAtomic(join(dir, 'a'), 'a');
    await rm(dir, { recursive: true });
    await writeFileAtomic(join(dir, 'b'), 'b');
    expect(await readFile(join(dir, 'b'), 'utf8')).toBe('b');
  });
});

describe('mkdirsDurable', () => {
  it('makes the missing subdirectories and keeps what the present ones hold', async () => {
    await writeFileAtomic(join(root, 'blobs', '01', 'kept'), 'k');
    await mkdirsDurable(join(root, 'blobs'), ['00', '01', '02']);
    expect((await readdir(join(root, 'blobs'))).sort()).toEqual(['00', '01', '02']);
    expect(await readdir(join(root, 'blobs', '01'))).toEqual(['kept']);
  });
});
