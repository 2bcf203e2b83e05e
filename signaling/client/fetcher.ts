/**
 * Fetching blobs chunk by chunk from the relay: `blob.get` requests of up to `chunkWindow` chunks,
 * at most `maxInflightChunks` asked for and not yet received, every chunk checked against the signed
 * chunk hashes as it arrives (`BlobAssembler`), the whole blob against its hash at the end. The
 * assemblers outlive a connection, so after a reconnect only missing chunks are asked for.
 */
import {
  BlobAssembler,
  MAX_CHUNKS_PER_REQUEST,
  MessageType,
  type BlobGet,
  type Slot,
} from '../../protocol/index.ts';

/** A fetch cut short by a lost connection or a stop: not a failure of the blob. */
export class FetchAborted extends Error {
  override readonly name = 'FetchAborted';
}

/** Options of {@link BlobFetcher}. */
export interface FetcherOptions {
  readonly send: (message: BlobGet) => void;
  readonly onProgress?: (sha256: string, received: number, total: number) => void;
  /** Chunks per request (default 64). */
  readonly chunkWindow?: number;
  /** Chunks requested and not yet received, per blob (default 256). */
  readonly maxInflightChunks?: number;
}

interface Fetch {
  readonly slot: Slot;
  readonly assembler: BlobAssembler;
  next: number;
  inflight: number;
  lastChunkAt: number;
  readonly done: ((result: Uint8Array | Error) => void)[];
}

/** The blob fetches of one client. */
export class BlobFetcher {
  private readonly fetches = new Map<string, Fetch>();
  private readonly partial = new Map<string, BlobAssembler>();

  constructor(private readonly options: FetcherOptions) {}

  /** Fetches a blob (joining a fetch of the same blob already running). */
  fetch(slot: Slot): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const settle = (result: Uint8Array | Error) =>
        result instanceof Error ? reject(result) : resolve(result);
      const running = this.fetches.get(slot.sha256);
      if (running) {
        running.done.push(settle);
        return;
      }
      let assembler = this.partial.get(slot.sha256);
      if (!assembler) {
        assembler = new BlobAssembler(slot);
        this.partial.set(slot.sha256, assembler);
      }
      const fetch: Fetch = {
        slot,
        assembler,
        next: 0,
        inflight: 0,
        lastChunkAt: performance.now(),
        done: [settle],
      };
      this.fetches.set(slot.sha256, fetch);
      if (assembler.complete) void this.finish(fetch);
      else this.pump(fetch);
    });
  }

  /** A chunk from the relay. */
  chunk(sha256: string, index: number, bytes: Uint8Array): void {
    const fetch = this.fetches.get(sha256);
    if (!fetch) return;
    fetch.inflight = Math.max(0, fetch.inflight - 1);
    fetch.lastChunkAt = performance.now();
    void fetch.assembler.add(index, bytes).then((added) => {
      if (this.fetches.get(sha256) !== fetch) return;
      if (!added.ok) {
        this.fetches.delete(sha256);
        this.partial.delete(sha256);
        for (const d of fetch.done) d(new Error(`${added.code}: ${added.message}`));
        return;
      }
      this.options.onProgress?.(sha256, fetch.assembler.received, fetch.slot.chunks.length);
      if (fetch.assembler.complete) void this.finish(fetch);
      else this.pump(fetch);
    });
  }

  /** Drops what is kept of a blob (it is stored now). */
  forget(sha256: string): void {
    this.partial.delete(sha256);
  }

  /** Ends every running fetch with {@link FetchAborted}; partial blobs are kept. */
  abort(reason: string): void {
    for (const fetch of this.fetches.values()) for (const d of fetch.done) d(new FetchAborted(reason));
    this.fetches.clear();
  }

  /** True when a running fetch got no chunk for `limitMs`. */
  stalled(limitMs: number): boolean {
    const t = performance.now();
    for (const fetch of this.fetches.values()) if (t - fetch.lastChunkAt > limitMs) return true;
    return false;
  }

  private pump(fetch: Fetch): void {
    const window = Math.min(this.options.chunkWindow ?? 64, MAX_CHUNKS_PER_REQUEST);
    const maxInflight = this.options.maxInflightChunks ?? 256;
    const total = fetch.slot.chunks.length;
    while (fetch.next < total && fetch.inflight < maxInflight) {
      // Skip chunks held from an earlier, interrupted fetch.
      while (fetch.next < total && fetch.assembler.has(fetch.next)) fetch.next++;
      if (fetch.next >= total) break;
      let count = 1;
      while (
        count < window &&
        fetch.inflight + count < maxInflight &&
        fetch.next + count < total &&
        !fetch.assembler.has(fetch.next + count)
      ) {
        count++;
      }
      this.options.send({ type: MessageType.blobGet, sha256: fetch.slot.sha256, from: fetch.next, count });
      fetch.next += count;
      fetch.inflight += count;
    }
  }

  private async finish(fetch: Fetch): Promise<void> {
    const whole = await fetch.assembler.assemble();
    this.fetches.delete(fetch.slot.sha256);
    if (!whole.ok) this.partial.delete(fetch.slot.sha256);
    const result = whole.ok ? whole.value : new Error(`${whole.code}: ${whole.message}`);
    for (const d of fetch.done) d(result);
  }
}
