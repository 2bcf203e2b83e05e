/**
 * A {@link PatchCache} in memory: for a player that keeps nothing between runs (`patchcast play`
 * without `--cache`) and for tests. Commits are atomic as the others' are: one assignment.
 */
import { type PatchCache } from './cache.js';
/** A fresh in-memory cache; `clientId` fixes the id it gives (default: a new random one). */
export declare function memoryCache(clientId?: string): PatchCache;
