import 'fake-indexeddb/auto';
import { createStore } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { toBase64Url, utf8 } from '../../protocol/bytes.ts';
import { generateSigningKey } from '../../protocol/crypto.ts';
import { toKeyFile, type KeyFile } from '../../protocol/keys.ts';
import { demoAdminLink } from '../../signaling/demo/admin-link.ts';
import { demoKeyNotice, parseDemoKeyFragment, takeDemoKey, withoutFragment } from './demo-key.ts';
import { loadKey, saveKey } from './keystore.ts';
import { getRoom, type KeyValueStorage } from './settings.ts';

let n = 0;
const freshStore = () => createStore(`demo-key-test-${++n}`, 'keys');

function memoryStorage(): KeyValueStorage {
  const map = new Map<string, string>();
  return {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  };
}

/** A page address and its history, as far as {@link takeDemoKey} sees them. */
function fakePage(href: string) {
  const replaced: string[] = [];
  const url = new URL(href);
  return {
    place: { hash: url.hash, href: url.href },
    hist: {
      state: null,
      replaceState: (_state: unknown, _unused: string, to?: string | URL | null) => {
        replaced.push(String(to));
      },
    },
    replaced,
  };
}

const encode = (value: unknown) => `#demo-key=${toBase64Url(utf8(JSON.stringify(value)))}`;

async function demoFile(room: string | undefined = 'demo'): Promise<KeyFile> {
  return toKeyFile(await generateSigningKey(true), room);
}

describe('parseDemoKeyFragment', () => {
  it('reads the link `serve` prints', async () => {
    const file = await demoFile();
    const link = new URL(demoAdminLink('http://127.0.0.1:8787/', file));
    expect(parseDemoKeyFragment(link.hash)).toEqual({ kind: 'key', room: 'demo', file });
  });

  it('takes the demo room for a key file that names none', async () => {
    const file = await demoFile(undefined);
    expect(parseDemoKeyFragment(encode(file))).toEqual({ kind: 'key', room: 'demo', file });
  });

  it('ignores addresses without a demo key', () => {
    for (const hash of ['', '#', '#main', '#other=1']) {
      expect(parseDemoKeyFragment(hash)).toEqual({ kind: 'none' });
    }
  });

  it('refuses, with a reason, anything but a key file of the demo room', async () => {
    const file = await demoFile();
    const { secretKey: _dropped, ...noSecret } = file;
    const cases: Array<[string, string]> = [
      ['#demo-key=', 'not JSON'],
      ['#demo-key=not*base64', 'not base64url'],
      ['#demo-key=AAAA=', 'not base64url'],
      [`#demo-key=${toBase64Url(new Uint8Array([0xff, 0xfe, 0x22]))}`, 'UTF-8'],
      [`#demo-key=${toBase64Url(utf8('{"format":'))}`, 'not JSON'],
      [encode({ a: 1 }), 'not a Patchcast key file'],
      [encode(noSecret), 'secretKey'],
      [encode({ ...file, alg: 'RSA' }), 'not a Patchcast key file'],
      [encode({ ...file, extra: true }), 'not a Patchcast key file'],
      [encode(await demoFile('production')), 'room “production”'],
      [`#demo-key=${'A'.repeat(5000)}`, 'too long'],
      [`${encode(file)}&demo-key=x`, 'more than one'],
    ];
    for (const [hash, reason] of cases) {
      const parsed = parseDemoKeyFragment(hash);
      expect(parsed.kind, hash.slice(0, 60)).toBe('bad');
      if (parsed.kind === 'bad') expect(parsed.message, hash.slice(0, 60)).toContain(reason);
    }
  });
});

describe('withoutFragment', () => {
  it('keeps the path and query, drops the fragment and its #', () => {
    expect(withoutFragment('http://h:1/admin/publish/?x=1#demo-key=abc')).toBe(
      'http://h:1/admin/publish/?x=1',
    );
    expect(withoutFragment('http://h:1/#demo-key=abc')).toBe('http://h:1/');
  });
});

/** A relay that vouches for any key (the import logic is what these tests are about). */
const trusted = async (): Promise<boolean> => true;

describe('takeDemoKey', () => {
  it('refuses a key the relay does not trust for the demo room, importing nothing', async () => {
    const store = freshStore();
    const storage = memoryStorage();
    const file = await demoFile();
    const page = fakePage(demoAdminLink('http://127.0.0.1:8787/', file));
    const asked: string[] = [];
    const outcome = await takeDemoKey(page.place, page.hist, store, storage, async (room, keyId) => {
      asked.push(`${room}:${keyId}`);
      return false;
    });
    expect(outcome).toMatchObject({ kind: 'bad' });
    expect(asked).toEqual([`demo:${file.keyId}`]);
    expect(page.replaced).toEqual(['http://127.0.0.1:8787/']);
    expect(await loadKey('demo', store)).toBeNull();
  });

  it('clears the address, imports the key like a CLI key file and selects the room', async () => {
    const store = freshStore();
    const storage = memoryStorage();
    const file = await demoFile();
    const page = fakePage(demoAdminLink('http://127.0.0.1:8787/', file));
    const outcome = await takeDemoKey(page.place, page.hist, store, storage, trusted);
    expect(outcome).toEqual({ kind: 'imported', room: 'demo', keyId: file.keyId });
    expect(page.replaced).toEqual(['http://127.0.0.1:8787/']);
    expect(await loadKey('demo', store)).toMatchObject({
      room: 'demo',
      keyId: file.keyId,
      publicKey: file.publicKey,
      source: 'imported',
    });
    expect(getRoom(storage)).toBe('demo');
    expect(demoKeyNotice(outcome)?.text).toBe('Demo key imported for room demo');

    // The same link again: nothing changes.
    const again = fakePage(demoAdminLink('http://127.0.0.1:8787/', file));
    expect(await takeDemoKey(again.place, again.hist, store, storage, trusted)).toEqual({
      kind: 'already',
      room: 'demo',
      keyId: file.keyId,
    });
  });

  it('keeps another key of the room and says so, importing nothing', async () => {
    const store = freshStore();
    const storage = memoryStorage();
    const mine = await generateSigningKey(true);
    await saveKey('demo', mine, 'generated', store);
    storage.setItem('patchcast.admin.room', 'other');
    const file = await demoFile();
    const page = fakePage(demoAdminLink('http://127.0.0.1:8787/', file));
    const outcome = await takeDemoKey(page.place, page.hist, store, storage, trusted);
    expect(outcome).toEqual({
      kind: 'conflict',
      room: 'demo',
      existingKeyId: mine.keyId,
      linkKeyId: file.keyId,
    });
    expect(page.replaced).toHaveLength(1);
    expect(await loadKey('demo', store)).toMatchObject({ keyId: mine.keyId, source: 'generated' });
    expect(getRoom(storage)).toBe('other');
    expect(demoKeyNotice(outcome)).toMatchObject({ kind: 'warn' });
  });

  it('clears a malformed fragment too, and imports nothing', async () => {
    const store = freshStore();
    const storage = memoryStorage();
    const page = fakePage('http://127.0.0.1:8787/publish/#demo-key=garbage!');
    const outcome = await takeDemoKey(page.place, page.hist, store, storage, trusted);
    expect(outcome.kind).toBe('bad');
    expect(page.replaced).toEqual(['http://127.0.0.1:8787/publish/']);
    expect(await loadKey('demo', store)).toBeNull();
    expect(getRoom(storage)).toBeNull();
    expect(demoKeyNotice(outcome)).toMatchObject({ kind: 'error' });
  });

  it('refuses a key file whose secret is not its public key’s', async () => {
    const store = freshStore();
    const storage = memoryStorage();
    const file = await demoFile();
    const other = await demoFile();
    const page = fakePage(demoAdminLink('http://127.0.0.1:8787/', { ...file, secretKey: other.secretKey }));
    const outcome = await takeDemoKey(page.place, page.hist, store, storage, trusted);
    expect(outcome).toMatchObject({ kind: 'bad', message: expect.stringContaining('does not belong') });
    expect(await loadKey('demo', store)).toBeNull();
    expect(getRoom(storage)).toBeNull();
  });

  it('leaves an address without a demo key alone', async () => {
    const page = fakePage('http://127.0.0.1:8787/#main');
    expect(await takeDemoKey(page.place, page.hist, freshStore(), memoryStorage(), trusted)).toEqual({
      kind: 'none',
    });
    expect(page.replaced).toEqual([]);
    expect(demoKeyNotice({ kind: 'none' })).toBeNull();
  });
});
