/**
 * Blobs in Redis, content-addressed and chunked (no value over {@link REDIS_BLOB_CHUNK_BYTES}), with
 * a bounded cache of recent blobs in this node's memory: the fan-out of a release reads its blobs
 * once per node, not once per player.
 */
import type { Redis } from 'ioredis';
import { ByteLru } from '../store/lru.ts';
import { REDIS_BLOB_CHUNK_BYTES, REDIS_UNPUBLISHED_BLOB_TTL_S, type RedisKeys } from './keys.ts';
import { PUT_BLOB_META } from './scripts.ts';

/** Bytes of blobs a node keeps in memory by default. */
export const DEFAULT_REDIS_BLOB_CACHE_BYTES = 256 * 1024 * 1024;

const SHA_RE = /^[0-9a-f]{64}$/;

/** The blob half of the cluster store. */
export class RedisBlobs {
  private readonly cache: ByteLru<string, Uint8Array>;
  /** Reads in flight, so that many players asking at once cost Redis one read. */
  private readonly reading = new Map<string, Promise<Uint8Array | null>>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    cacheBytes = DEFAULT_REDIS_BLOB_CACHE_BYTES,
    private readonly chunkBytes = REDIS_BLOB_CHUNK_BYTES,
  ) {
    this.cache = new ByteLru(cacheBytes, (b) => b.length);
  }

  /** True when this node holds the blob in memory. */
  cached(sha256: string): boolean {
    return this.cache.get(sha256) !== undefined;
  }

  /** Bytes held in this node's cache. */
  get cacheBytes(): number {
    return this.cache.bytes;
  }

  /** A blob's bytes (from the cache, else Redis), or null when Redis has no whole copy. */
  read(sha256: string): Promise<Uint8Array | null> {
    const cached = this.cache.get(sha256);
    if (cached) return Promise.resolve(cached);
    let pending = this.reading.get(sha256);
    if (!pending) {
      pending = this.readFromRedis(sha256).finally(() => this.reading.delete(sha256));
      this.reading.set(sha256, pending);
    }
    return pending;
  }

  private async readFromRedis(sha256: string): Promise<Uint8Array | null> {
    const meta = await this.redis.hmget(this.keys.blob(sha256), 'size', 'n');
    const size = Number(meta[0]);
    const n = Number(meta[1]);
    if (meta[0] === null || meta[1] === null || !Number.isSafeInteger(size) || !Number.isSafeInteger(n))
      return null;
    const chunks =
      n === 0
        ? []
        : await this.redis.mgetBuffer(...Array.from({ length: n }, (_, i) => this.keys.chunk(sha256, i)));
    if (chunks.some((c) => c === null)) return null;
    const bytes = new Uint8Array(Buffer.concat(chunks as Buffer[]));
    if (bytes.length !== size) return null;
    this.cache.set(sha256, bytes);
    return bytes;
  }

  /**
   * Stores a blob (its hash checked by the caller) that expires unless a release names it; returns
   * false when Redis had it already (an unpublished one then gets a new expiry).
   */
  async put(sha256: string, bytes: Uint8Array): Promise<boolean> {
    if (!SHA_RE.test(sha256)) throw new TypeError(`not a sha256: ${sha256}`);
    this.cache.set(sha256, bytes);
    const ttl = REDIS_UNPUBLISHED_BLOB_TTL_S;
    const n = Math.ceil(bytes.length / this.chunkBytes);
    if ((await this.redis.exists(this.keys.blob(sha256))) === 0) {
      // NX: a chunk a release made permanent meanwhile must not get an expiry back.
      const pipeline = this.redis.pipeline();
      for (let i = 0; i < n; i++) {
        const chunk = bytes.subarray(i * this.chunkBytes, (i + 1) * this.chunkBytes);
        pipeline.set(
          this.keys.chunk(sha256, i),
          Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
          'EX',
          ttl,
          'NX',
        );
      }
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error !== null);
      if (!results || failed) throw failed?.[0] ?? new Error('redis pipeline did not run');
    }
    const created = await this.redis.eval(PUT_BLOB_META, 1, this.keys.blob(sha256), ttl, bytes.length, n);
    return created === 1;
  }
}
