import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createStore, entries, set } from 'idb-keyval';
import { buildRelease } from '../../publisher/build.ts';
import { configBytes } from '../../protocol/config.ts';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { bootFromCache } from '../core/boot.ts';
import type { PatchHandlers } from '../core/apply.ts';
import { idbCache, referencedKeys } from './idb-cache.ts';
import { emptyRoomState, type RoomState } from '../core/schema.ts';
import { seedCache } from '../../tests/fixtures/cache-seed.ts';

let n = 0;
const fresh = () => {
  const store = createStore(`cache-test-${++n}`, 'cache');
  return { store, cache: idbCache(store) };
};

async function seeded() {
  const { store, cache } = fresh();
  return { store, cache, ...(await seedCache(cache)) };
}

const applied: string[] = [];
const handlers: PatchHandlers = {
  script: (c) => (applied.push(`script:${c.slot.version}`), { status: 'applied' }),
  config: (c) => (applied.push(`config:${c.slot.version}`), { status: 'applied' }),
};

describe('idbCache', () => {
  it('creates one client id and keeps it', async () => {
    const { cache } = fresh();
    const id = await cache.clientId();
    expect(id).toMatch(/^p-[0-9a-f]{12}$/);
    expect(await cache.clientId()).toBe(id);
  });

  it('gives an empty state for a room it never saw, and for junk', async () => {
    const { store, cache } = fresh();
    expect(await cache.state('demo')).toEqual(emptyRoomState('demo'));
    await set('patchcast:room:demo:state', { format: 1, room: 'demo', seq: 'three' }, store);
    expect(await cache.state('demo')).toEqual(emptyRoomState('demo'));
    await set('patchcast:room:demo:blob:' + 'a'.repeat(64), 'not bytes', store);
    expect(await cache.blob('demo', 'a'.repeat(64))).toBeNull();
  });

  it('commits state, releases and blobs together and drops what nothing references', async () => {
    const { r1, store, cache, state, key } = await seeded();
    expect((await entries(store)).map(([k]) => String(k)).sort()).toEqual(
      [...referencedKeys('demo', state)].sort(),
    );
    const r2 = await buildRelease({
      room: 'demo',
      key,
      previous: r1.signed.release,
      slots: { theme: { kind: 'config', bytes: configBytes({ ball: '#00ff00' }), version: '2' } },
    });
    const theme2 = r2.signed.release.slots['theme']!.sha256;
    const next: RoomState = {
      ...state,
      seq: 2,
      // The theme history keeps its old entry; the logic entry moves to seq 2 (same blob).
      held: {
        logic: [{ seq: 2, version: '1', sha256: state.held['logic']![0]!.sha256 }],
        theme: [...state.held['theme']!, { seq: 2, version: '2', sha256: theme2 }],
      },
    };
    await cache.commit('demo', {
      state: next,
      releases: [r2.signed],
      blobs: new Map([[theme2, r2.blobs.get(theme2)!]]),
    });
    const keys = (await entries(store)).map(([k]) => String(k)).sort();
    expect(keys).toEqual([...referencedKeys('demo', next)].sort());
    expect(keys).toContain('patchcast:room:demo:release:1'); // the old theme entry still needs it
    expect(await cache.state('demo')).toEqual(next);
  });
});

describe('bootFromCache', () => {
  it('verifies and applies what the cache holds', async () => {
    const { cache, key } = await seeded();
    applied.length = 0;
    const booted = await bootFromCache({ room: 'demo', publicKey: key.publicKey, cache, handlers });
    expect(booted.error).toBeNull();
    expect(applied).toEqual(['config:1', 'script:1']);
    expect(Object.keys(booted.outcomes).sort()).toEqual(['logic', 'theme']);
  });

  it('starts empty when the stored release does not verify under the pinned key', async () => {
    const { cache } = await seeded();
    const other = await generateSigningKey();
    applied.length = 0;
    const booted = await bootFromCache({ room: 'demo', publicKey: other.publicKey, cache, handlers });
    expect(booted.error).toContain('does not verify');
    expect(booted.state.seq).toBe(0);
    expect(applied).toEqual([]);
  });

  it('drops a slot whose stored blob was tampered with, and keeps the others', async () => {
    const { cache, store, key, sha } = await seeded();
    await set(
      `patchcast:room:demo:blob:${sha('logic')}`,
      utf8('export function update() { steal(); }'),
      store,
    );
    applied.length = 0;
    const booted = await bootFromCache({ room: 'demo', publicKey: key.publicKey, cache, handlers });
    expect(applied).toEqual(['config:1']);
    expect(booted.state.held['logic']).toBeUndefined();
    expect(booted.state.held['theme']).toHaveLength(1);
  });
});
