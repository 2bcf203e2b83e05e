/**
 * The browser adapter's cache: the player's IndexedDB cache (idb-keyval): per room, one state record, the signed releases the held
 * slots came from, and the blobs they name; plus one client id per browser. A commit writes the
 * new state, its releases and blobs and deletes what nothing references any more, in one
 * transaction: a crash leaves the old cache or the new one, never half of each.
 */
import { type UseStore } from 'idb-keyval';
import { type RoomState } from '../core/schema.js';
import { type PatchCache } from '../core/cache.js';
export type { CacheUpdate, PatchCache } from '../core/cache.js';
/** Keys a state needs: the newest release, and each held entry's release and blob. */
export declare function referencedKeys(room: string, state: RoomState): Set<string>;
/** The default database and store of the player cache. */
export declare function defaultStore(): UseStore;
/** A {@link PatchCache} on IndexedDB. */
export declare function idbCache(store?: UseStore): PatchCache;
