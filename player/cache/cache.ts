/**
 * The player's IndexedDB cache (idb-keyval): per room, one state record, the signed releases the held
 * slots came from, and the blobs they name; plus one client id per browser. A commit writes the
 * new state, its releases and blobs and deletes what nothing references any more, in one
 * transaction: a crash leaves the old cache or the new one, never half of each.
 */
import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { parseSignedRelease, type SignedRelease } from '../../protocol/release.ts';
import { toHex } from '../../protocol/bytes.ts';
import {
  emptyRoomState,
  parseRoomState,
  parseStoredBlob,
  parseStoredClientId,
  type RoomState,
} from './schema.ts';

/** What the patch client needs from a cache (IndexedDB in browsers; tests may pass their own). */
export interface PatchCache {
  /** This browser's client id, created on first use. */
  clientId(): Promise<string>;
  /** The room's state, or an empty one (also when what is stored doesn't validate). */
  state(room: string): Promise<RoomState>;
  /** A stored release, structure-checked (its signature is the caller's to verify), or null. */
  release(room: string, seq: number): Promise<SignedRelease | null>;
  /** A stored blob (the caller verifies its hash), or null. */
  blob(room: string, sha256: string): Promise<Uint8Array | null>;
  /**
   * Writes `state`, the given releases and blobs, and deletes the room's releases and blobs that
   * `state` no longer references — atomically.
   */
  commit(room: string, update: CacheUpdate): Promise<void>;
}

/** One atomic write: the new state and what it needs that the cache may not have yet. */
export interface CacheUpdate {
  readonly state: RoomState;
  readonly releases: readonly SignedRelease[];
  readonly blobs: ReadonlyMap<string, Uint8Array>;
}

const CLIENT_ID_KEY = 'patchcast:client-id';
const roomPrefix = (room: string) => `patchcast:room:${room}:`;
const stateKey = (room: string) => `${roomPrefix(room)}state`;
const releaseKey = (room: string, seq: number) => `${roomPrefix(room)}release:${seq}`;
const blobKey = (room: string, sha256: string) => `${roomPrefix(room)}blob:${sha256}`;

/** Keys a state needs: the newest release, and each held entry's release and blob. */
export function referencedKeys(room: string, state: RoomState): Set<string> {
  const keys = new Set([stateKey(room)]);
  if (state.seq > 0) keys.add(releaseKey(room, state.seq));
  for (const entries of Object.values(state.held)) {
    for (const entry of entries) {
      keys.add(releaseKey(room, entry.seq));
      keys.add(blobKey(room, entry.sha256));
    }
  }
  return keys;
}

/** A new random client id: `p-` and 12 hex digits. */
export function newClientId(): string {
  return `p-${toHex(crypto.getRandomValues(new Uint8Array(6)))}`;
}

/** The default database and store of the player cache. */
export function defaultStore(): UseStore {
  return createStore('patchcast-player', 'cache');
}

/** A {@link PatchCache} on IndexedDB. */
export function idbCache(store: UseStore = defaultStore()): PatchCache {
  const get = (key: string) => store('readonly', (s) => promisifyRequest<unknown>(s.get(key)));
  return {
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
