/**
 * The browser adapter's cache: the player's IndexedDB cache (idb-keyval): per room, one state record, the signed releases the held
 * slots came from, and the blobs they name; plus one client id per browser. A commit writes the
 * new state, its releases and blobs and deletes what nothing references any more, in one
 * transaction: a crash leaves the old cache or the new one, never half of each.
 */
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { parseSignedRelease } from '../../protocol/release.ts';
import {
  emptyRoomState,
  parseRoomState,
  parseStoredBlob,
  parseStoredClientId,
  type RoomState,
} from '../core/schema.ts';
import { isClientSecret, newClientId, newClientSecret, referenced, type PatchCache } from '../core/cache.ts';

export type { CacheUpdate, PatchCache } from '../core/cache.ts';

const CLIENT_ID_KEY = 'patchcast:client-id';
const CLIENT_SECRET_KEY = 'patchcast:client-secret';
const roomPrefix = (room: string) => `patchcast:room:${room}:`;
const stateKey = (room: string) => `${roomPrefix(room)}state`;
const releaseKey = (room: string, seq: number) => `${roomPrefix(room)}release:${seq}`;
const blobKey = (room: string, sha256: string) => `${roomPrefix(room)}blob:${sha256}`;

/** Keys a state needs: the newest release, and each held entry's release and blob. */
export function referencedKeys(room: string, state: RoomState): Set<string> {
  const { releases, blobs } = referenced(state);
  return new Set([
    stateKey(room),
    ...[...releases].map((seq) => releaseKey(room, seq)),
    ...[...blobs].map((sha256) => blobKey(room, sha256)),
  ]);
}

/** The default database and store of the player cache. */
export function defaultStore(): UseStore {
  return createStore('patchcast-player', 'cache');
}

/** A {@link PatchCache} on IndexedDB. */
export function idbCache(store: UseStore = defaultStore()): PatchCache {
  const get = (key: string) => store('readonly', (s) => promisifyRequest<unknown>(s.get(key)));
  return {
    async clientSecret() {
      const stored = await get(CLIENT_SECRET_KEY);
      if (isClientSecret(stored)) return stored;
      const secret = newClientSecret();
      await store('readwrite', (s) => {
        s.put(secret, CLIENT_SECRET_KEY);
        return promisifyRequest(s.transaction);
      });
      return secret;
    },
    async clientId() {
      const stored = parseStoredClientId(await get(CLIENT_ID_KEY));
      if (stored.ok) return stored.value;
      const id = newClientId();
      await store('readwrite', (s) => {
        s.put(id, CLIENT_ID_KEY);
        return promisifyRequest(s.transaction);
      });
      return id;
    },
    async state(room) {
      const parsed = parseRoomState(await get(stateKey(room)));
      return parsed.ok && parsed.value.room === room ? parsed.value : emptyRoomState(room);
    },
    async release(room, seq) {
      const parsed = parseSignedRelease(await get(releaseKey(room, seq)));
      return parsed.ok ? parsed.value : null;
    },
    async blob(room, sha256) {
      const parsed = parseStoredBlob(await get(blobKey(room, sha256)));
      return parsed.ok ? parsed.value : null;
    },
    commit(room, update) {
      const keep = referencedKeys(room, update.state);
      const prefix = roomPrefix(room);
      return store('readwrite', (s) => {
        // Deletes first (of keys nothing references), then puts: all one transaction.
        const keysRequest = s.getAllKeys(IDBKeyRange.bound(prefix, `${prefix}\uffff`));
        keysRequest.onsuccess = () => {
          for (const key of keysRequest.result) {
            if (typeof key === 'string' && !keep.has(key)) s.delete(key);
          }
          for (const signed of update.releases) {
            const key = releaseKey(room, signed.release.seq);
            if (keep.has(key)) s.put(signed, key);
          }
          for (const [sha256, bytes] of update.blobs) {
            const key = blobKey(room, sha256);
            if (keep.has(key)) s.put(bytes, key);
          }
          s.put(update.state, stateKey(room));
        };
        return promisifyRequest(s.transaction);
      });
    },
  };
}
