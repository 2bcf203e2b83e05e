import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configBytes } from '../../protocol/config.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { buildRelease } from '../../publisher/build.ts';
import { bootFromCache } from '../core/boot.ts';
import { emptyRoomState, type RoomState } from '../core/schema.ts';
import { fileCache } from './file-cache.ts';
import { seedCache } from '../../tests/fixtures/cache-seed.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'patchcast-file-cache-'));
  dirs.push(dir);
  return dir;
}

async function seeded() {
  const dir = await freshDir();
  const cache = fileCache(dir);
  return { dir, cache, ...(await seedCache(cache)) };
}

describe('fileCache', () => {
  it('keeps one client id and one secret across instances, in files', async () => {
    const dir = await freshDir();
    const id = await fileCache(dir).clientId();
    const secret = await fileCache(dir).clientSecret!();
    expect(id).toMatch(/^p-[0-9a-f]{12}$/);
    expect(await fileCache(dir).clientId()).toBe(id);
    expect(await fileCache(dir).clientSecret!()).toBe(secret);
    expect((await readFile(join(dir, 'client-id'), 'utf8')).trim()).toBe(id);
  });

  it('reads back what a commit wrote, from a new instance, and boots from it', async () => {
    const { dir, key, state, r1, sha } = await seeded();
    const again = fileCache(dir);
    expect(await again.state('demo')).toEqual(state);
    expect(await again.release('demo', 1)).toEqual(r1.signed);
    expect(await again.blob('demo', sha('logic'))).toEqual(r1.blobs.get(sha('logic')));
    const applied: string[] = [];
    const booted = await bootFromCache({
      room: 'demo',
      publicKey: key.publicKey,
      cache: again,
      handlers: {
        script: (c) => (applied.push(`script:${c.slot.version}`), { status: 'applied' }),
        config: (c) => (applied.push(`config:${c.slot.version}`), { status: 'applied' }),
      },
    });
    expect(booted.error).toBeNull();
    expect(applied.sort()).toEqual(['config:1', 'script:1']);
  });

  it('drops what the new state no longer references, and temp files a crash left', async () => {
    const { dir, cache, key, r1, sha } = await seeded();
    await writeFile(join(dir, 'demo', 'releases', '.tmp-9.json-deadbeef'), 'half a rele');
    const r2 = await buildRelease({
      room: 'demo',
      key,
      previous: r1.signed.release,
      slots: { theme: { kind: 'config', bytes: configBytes({ ball: '#00ff00' }), version: '2' } },
    });
    const theme2 = r2.signed.release.slots['theme']!.sha256;
    const next: RoomState = {
      ...emptyRoomState('demo'),
      seq: 2,
      held: { theme: [{ seq: 2, version: '2', sha256: theme2 }] },
    };
    await cache.commit('demo', {
      state: next,
      releases: [r2.signed],
      blobs: new Map([[theme2, r2.blobs.get(theme2)!]]),
    });
    expect(await readdir(join(dir, 'demo', 'releases'))).toEqual(['2.json']);
    expect(await readdir(join(dir, 'demo', 'blobs'))).toEqual([theme2]);
    expect(await cache.blob('demo', sha('logic'))).toBeNull();
    expect(await cache.state('demo')).toEqual(next);
  });

  it('gives an empty state for junk, another room, and refuses paths that are not a sha256', async () => {
    const { dir, cache } = await seeded();
    await writeFile(join(dir, 'demo', 'state.json'), '{"format":1,"room":"demo","seq":"three"');
    expect(await cache.state('demo')).toEqual(emptyRoomState('demo'));
    await writeFile(join(dir, 'demo', 'state.json'), JSON.stringify({ ...emptyRoomState('other'), seq: 4 }));
    expect(await cache.state('demo')).toEqual(emptyRoomState('demo'));
    expect(await cache.blob('demo', '../state.json')).toBeNull();
    await writeFile(join(dir, 'demo', 'releases', '1.json'), '{"release":');
    expect(await cache.release('demo', 1)).toBeNull();
  });
});
