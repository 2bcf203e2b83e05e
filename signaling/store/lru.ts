/**
 * A least-recently-used map bounded by the total size of its values, for caches of blobs and encoded
 * frames. Map iteration order is insertion order, so "touch" = delete + set.
 */
export class ByteLru<K, V> {
  private readonly map = new Map<K, { value: V; size: number }>();
  private total = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  /** Bytes held. */
  get bytes(): number {
    return this.total;
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  /** The value of `key`, made with `make` and kept if there is none. */
  obtain(key: K, make: () => V): V {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const value = make();
    this.set(key, value);
    return value;
  }

  /** The value, without making it the most recently used. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  set(key: K, value: V): void {
    const size = this.sizeOf(value);
    const old = this.map.get(key);
    if (old) {
      this.total -= old.size;
      this.map.delete(key);
    }
    // A value bigger than the whole budget is not cached at all.
    if (size > this.maxBytes) return;
    this.map.set(key, { value, size });
    this.total += size;
    for (const [k, entry] of this.map) {
      if (this.total <= this.maxBytes) break;
      this.map.delete(k);
      this.total -= entry.size;
    }
  }

  delete(key: K): void {
    const old = this.map.get(key);
    if (!old) return;
    this.total -= old.size;
    this.map.delete(key);
  }
}
