import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createStore, set } from 'idb-keyval';
import { generateSigningKey, signBytes, verifyBytes } from '../../protocol/crypto.ts';
import { toKeyFile } from '../../protocol/keys.ts';
import {
  deleteKey,
  importKeyFile,
  listKeys,
  loadKey,
  markBackedUp,
  saveKey,
  signingKeyOf,
} from './keystore.ts';

let n = 0;
const freshStore = () => createStore(`test-${++n}`, 'keys');

describe('keystore', () => {
  it('stores a CryptoKey per room and signs with it after reading it back', async () => {
    const store = freshStore();
    const key = await generateSigningKey(true);
    await saveKey('demo', key, 'generated', store);
    const back = await loadKey('demo', store);
    expect(back).toMatchObject({
      room: 'demo',
      keyId: key.keyId,
      publicKey: key.publicKey,
      source: 'generated',
    });
    if (!back) return;
    const sig = await signBytes(signingKeyOf(back), new Uint8Array([1, 2, 3]));
    expect(await verifyBytes(key.publicKey, new Uint8Array([1, 2, 3]), sig)).toBe(true);
    await markBackedUp('demo', store);
    expect((await loadKey('demo', store))?.backedUpAt).toBeTruthy();
    expect((await listKeys(store)).map((k) => k.room)).toEqual(['demo']);
    await deleteKey('demo', store);
    expect(await loadKey('demo', store)).toBeNull();
  });

  it('ignores records that are not valid key records', async () => {
    const store = freshStore();
    await set('demo', { room: 'demo', keyId: 'nope', privateKey: 'a string' }, store);
    await set('other', 'junk', store);
    expect(await loadKey('demo', store)).toBeNull();
    expect(await listKeys(store)).toEqual([]);
  });

  it('imports a key file: keeps the same key as it was, replaces another only when asked', async () => {
    const store = freshStore();
    const first = await generateSigningKey(true);
    const file = await toKeyFile(first, 'demo');
    expect(await importKeyFile('demo', file, {}, store)).toMatchObject({ kind: 'saved' });
    expect((await loadKey('demo', store))?.source).toBe('imported');
    await markBackedUp('demo', store);
    expect(await importKeyFile('demo', file, {}, store)).toMatchObject({ kind: 'unchanged' });
    expect((await loadKey('demo', store))?.backedUpAt).toBeTruthy();

    const other = await toKeyFile(await generateSigningKey(true), 'demo');
    expect(await importKeyFile('demo', other, {}, store)).toMatchObject({
      kind: 'conflict',
      existing: { keyId: first.keyId },
      keyId: other.keyId,
    });
    expect((await loadKey('demo', store))?.keyId).toBe(first.keyId);
    expect(await importKeyFile('demo', other, { replace: true }, store)).toMatchObject({ kind: 'saved' });
    expect((await loadKey('demo', store))?.keyId).toBe(other.keyId);
  });
});
