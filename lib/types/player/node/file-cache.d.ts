import { type PatchCache } from '../core/cache.js';
/** A {@link PatchCache} in the directory `dir` (created on first write). */
export declare function fileCache(dir: string): PatchCache;
