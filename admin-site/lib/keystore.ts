/**
 * Room keys kept in this browser: one Ed25519 signing key per room, in IndexedDB (idb-keyval). The
 * private key is stored as a WebCrypto `CryptoKey` object (structured clone), never as text; it is
 * extractable only so that an encrypted backup can be written from it.
 *
 * Everything read back from IndexedDB goes through {@link StoredKeySchema}: another tab, an old
 * version of this site or a browser extension may have left anything there.
 */
import * as v from 'valibot';
import { createStore, del, entries, get, set, type UseStore } from 'idb-keyval';
import { keyIdOf, type SigningKey } from '../../protocol/crypto.ts';
import { fromKeyFile, type KeyFile } from '../../protocol/keys.ts';
import { IsoTime, KeyId, PublicKeyText, RoomName } from '../../protocol/release.ts';

/** True for a WebCrypto key object (in this realm). */
function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey;
}

/** How a stored key came to this browser. */
export const KeySource = ['generated', 'imported'] as const;

/** The record kept per room. */
export const StoredKeySchema = v.object({
  room: RoomName,
  keyId: KeyId,
  publicKey: PublicKeyText,
  privateKey: v.custom<CryptoKey>(isCryptoKey, 'not a CryptoKey'),
  createdAt: IsoTime,
  source: v.picklist(KeySource),
  /** When an encrypted backup of this key was last downloaded (reminds the admin to make one). */
  backedUpAt: v.exactOptional(IsoTime),
  /**
   * Public keys this browser signed with for the room before this one (kept on rotation), so that
   * releases they signed are still recognised as the admin's own — never keys a relay lists.
   */
  previousKeys: v.exactOptional(v.array(PublicKeyText)),
});

/** A room key as stored in this browser. */
export type StoredKey = v.InferOutput<typeof StoredKeySchema>;

let defaultStore: UseStore | undefined;

/** The IndexedDB store of room keys (database `patchcast-admin`, object store `keys`). */
export function keyStore(): UseStore {
  defaultStore ??= createStore('patchcast-admin', 'keys');
  return defaultStore;
}

/** The signing key of a stored record. */
export function signingKeyOf(stored: StoredKey): SigningKey {
  return { keyId: stored.keyId, publicKey: stored.publicKey, privateKey: stored.privateKey };
}

/** The key stored for a room, or null (also null when the record is not a valid key record). */
export async function loadKey(room: string, store = keyStore()): Promise<StoredKey | null> {
  const raw: unknown = await get(room, store);
  const parsed = v.safeParse(StoredKeySchema, raw);
  return parsed.success && parsed.output.room === room ? parsed.output : null;
}

/** Every valid stored key, sorted by room. */
export async function listKeys(store = keyStore()): Promise<StoredKey[]> {
  const out: StoredKey[] = [];
  for (const [, raw] of await entries(store)) {
    const parsed = v.safeParse(StoredKeySchema, raw);
    if (parsed.success) out.push(parsed.output);
  }
  return out.sort((a, b) => a.room.localeCompare(b.room));
}

/** Stores a signing key for a room (replacing any other key of that room). */
export async function saveKey(
  room: string,
  key: SigningKey,
  source: StoredKey['source'],
  store = keyStore(),
  now = new Date(),
  previousKeys: readonly string[] = [],
): Promise<StoredKey> {
  if ((await keyIdOf(key.publicKey)) !== key.keyId) throw new TypeError('key id does not match public key');
  const record: StoredKey = {
    room,
    keyId: key.keyId,
    publicKey: key.publicKey,
    privateKey: key.privateKey,
    createdAt: now.toISOString(),
    source,
    ...(previousKeys.length > 0 ? { previousKeys: [...previousKeys] } : {}),
  };
  await set(room, v.parse(StoredKeySchema, record), store);
  return record;
}

/** What {@link importKeyFile} did. */
export type KeyImport =
  | { readonly kind: 'saved'; readonly key: StoredKey }
  /** The room already had this very key: its record (and backup date) is kept as it was. */
  | { readonly kind: 'unchanged'; readonly key: StoredKey }
  /** The room has another key here and `replace` was not given: nothing was written. */
  | { readonly kind: 'conflict'; readonly existing: StoredKey; readonly keyId: string };

/**
 * Stores the key of a key file (the CLI's, a decrypted backup's, or the demo link's) for a room,
 * marked `imported`. Throws when the file's secret doesn't belong to its public key. Another key
 * already stored for the room is replaced only with `replace` (after the admin said so).
 */
export async function importKeyFile(
  room: string,
  file: KeyFile,
  options: { readonly replace?: boolean } = {},
  store = keyStore(),
): Promise<KeyImport> {
  const signing = await fromKeyFile(file, true);
  const existing = await loadKey(room, store);
  if (existing?.keyId === signing.keyId) return { kind: 'unchanged', key: existing };
  if (existing && options.replace !== true) return { kind: 'conflict', existing, keyId: signing.keyId };
  return { kind: 'saved', key: await saveKey(room, signing, 'imported', store) };
}

/** Notes that a backup of a room's key was just written. */
export async function markBackedUp(room: string, store = keyStore(), now = new Date()): Promise<void> {
  const current = await loadKey(room, store);
  if (current) await set(room, { ...current, backedUpAt: now.toISOString() }, store);
}

/** Forgets the key of a room in this browser. */
export async function deleteKey(room: string, store = keyStore()): Promise<void> {
  await del(room, store);
}
