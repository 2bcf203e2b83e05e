/**
 * Blobs from the relay: `blob.get` requests over the current transport, `blob` chunks back, each one
 * verified against the slot's chunk hashes as it lands (`BlobAssembler`). A window of requests stays
 * in flight; a reconnect re-asks for whatever is still missing; a chunk that fails its hash is asked
 * for again a few times, then the fetch fails. Chunks the relay pushed unasked (the small blobs of a
 * new release, right behind it: hello `pushBlobs`) are kept, bounded, for the fetch that will want
 * them, and checked like any other chunk when it does: one that fails is asked for again.
 */
import { BlobAssembler, type BlobDescriptor } from '../../protocol/blobs.ts';
import { ErrorCode, fail, type Result } from '../../protocol/errors.ts';
import {
  CHUNK_STALL_MS,
  CHUNK_WINDOW,
  MAX_BAD_CHUNKS,
  MAX_CHUNKS_PER_REQUEST,
  PUSHED_KEEP_MAX_BYTES,
} from '../../protocol/limits.ts';
import {
  MessageType,
  type BlobDefer,
  type BlobGet,
  type BlobMessage,
  type SwarmStarved,
} from '../../protocol/messages.ts';
import type { RelayAnswer, RelaySource } from './transport.ts';
import { decodeBase64 } from './base64.ts';
import type { BlobSource, FetchOptions, Traffic } from './transport.ts';

/** Options of {@link RelayBlobs}. */
export interface RelayBlobsOptions {
  /** Chunks asked for at once per blob (default {@link CHUNK_WINDOW}). */
  readonly window?: number;
  /** With chunks outstanding and none arriving for this long, ask again (default {@link CHUNK_STALL_MS}). */
  readonly stallMs?: number;
  /** Bad chunks tolerated per blob before the fetch fails (default {@link MAX_BAD_CHUNKS}). */
  readonly maxBadChunks?: number;
}

interface Job {
  readonly desc: BlobDescriptor;
  readonly asm: BlobAssembler;
  /** Chunks asked for and not yet received. */
  readonly outstanding: Set<number>;
  /** Chunks received whose hash is being checked. */
  readonly verifying: Set<number>;
  readonly waiters: Set<(result: Result<Uint8Array>) => void>;
  readonly progress: Set<(received: number, total: number) => void>;
  badChunks: number;
  stallTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The default {@link BlobSource}: everything from the relay. Also a swarm `RelaySource`: single
 * chunks on request (`getChunk`), which the relay may defer to the swarm (`blob.defer`); the swarm
 * verifies those itself.
 */
export class RelayBlobs implements BlobSource, RelaySource {
  private readonly jobs = new Map<string, Job>();
  /** Single-chunk requests of the swarm: `sha256:index` → who waits for the answer. */
  private readonly singles = new Map<string, ((answer: RelayAnswer) => void)[]>();
  private readonly window: number;
  private readonly stallMs: number;
  private readonly maxBadChunks: number;
  private bytes = 0;
  /** Chunks pushed by the relay before a fetch wanted them: blob → index → bytes (oldest blob first). */
  private readonly pushed = new Map<string, Map<number, Uint8Array>>();
  private pushedBytes = 0;
  /** What we last told the relay with `swarm.starved` (said again on a new connection). */
  private isStarved = false;
  /** Sends on the current connection; false while there is none. */
  private readonly send: (message: BlobGet | SwarmStarved) => boolean;

  constructor(send: (message: BlobGet | SwarmStarved) => boolean, options: RelayBlobsOptions = {}) {
    this.send = send;
    this.window = Math.min(options.window ?? CHUNK_WINDOW, MAX_CHUNKS_PER_REQUEST);
    this.stallMs = options.stallMs ?? CHUNK_STALL_MS;
    this.maxBadChunks = options.maxBadChunks ?? MAX_BAD_CHUNKS;
  }

  traffic(): Traffic {
    return { bytesFromRelay: this.bytes, bytesFromPeers: 0, peers: 0 };
  }

  fetch(desc: BlobDescriptor, options: FetchOptions = {}): Promise<Result<Uint8Array>> {
    let job = this.jobs.get(desc.sha256);
    if (!job) {
      job = {
        desc,
        asm: new BlobAssembler(desc),
        outstanding: new Set(),
        verifying: new Set(),
        waiters: new Set(),
        progress: new Set(),
        badChunks: 0,
        stallTimer: undefined,
      };
      this.jobs.set(desc.sha256, job);
      // Pushed chunks count as received (checked like any other) and are not asked for.
      const early = this.pushed.get(desc.sha256);
      if (early) {
        this.pushed.delete(desc.sha256);
        for (const [index, bytes] of early) {
          this.pushedBytes -= bytes.length;
          void this.take(job, index, bytes, false, true);
        }
      }
    }
    const theJob = job;
    const onProgress = options.onProgress;
    if (onProgress) theJob.progress.add(onProgress);
    const result = new Promise<Result<Uint8Array>>((resolve) => {
      const waiter = (r: Result<Uint8Array>) => {
        options.signal?.removeEventListener('abort', abort);
        if (onProgress) theJob.progress.delete(onProgress);
        resolve(r);
      };
      const abort = () => {
        theJob.waiters.delete(waiter);
        waiter(fail(ErrorCode.INTERNAL, 'fetch superseded'));
        if (theJob.waiters.size === 0) this.drop(theJob);
      };
      theJob.waiters.add(waiter);
      if (options.signal?.aborted) abort();
      else options.signal?.addEventListener('abort', abort, { once: true });
    });
    this.pump(theJob);
    return result;
  }

  /**
   * True when the relay pushed every chunk of this blob and no fetch took them yet: a fetch from
   * here needs no request (the swarm then takes it from here too).
   */
  hasPushed(desc: BlobDescriptor): boolean {
    return (this.pushed.get(desc.sha256)?.size ?? 0) >= desc.chunks.length;
  }

  /** The swarm's peers give it nothing (or deliver again): `swarm.starved` tells the relay. */
  starved(starved: boolean): void {
    if (starved === this.isStarved) return;
    this.isStarved = starved;
    this.send({ type: MessageType.swarmStarved, starved });
  }

  /** The connection (re)opened: ask again for everything still missing. */
  connected(): void {
    // A new connection starts unstarved on the relay's side.
    if (this.isStarved) this.send({ type: MessageType.swarmStarved, starved: true });
    // Single chunks asked on the old connection will never be answered: let the swarm ask again now
    // rather than after `stallMs`.
    for (const list of [...this.singles.values()]) {
      for (const answer of [...list]) answer({ kind: 'error', message: 'reconnected to the relay' });
    }
    for (const job of this.jobs.values()) {
      job.outstanding.clear();
      this.pump(job);
    }
  }

  /** Asks the relay for one chunk (for the swarm); fails after `stallMs` without an answer. */
  getChunk(sha256: string, index: number, mayDefer: boolean): Promise<RelayAnswer> {
    const key = `${sha256}:${index}`;
    return new Promise((resolve) => {
      const waiting = this.singles.get(key) ?? [];
      const timer = setTimeout(
        () => answer({ kind: 'error', message: 'the relay did not answer' }),
        this.stallMs,
      );
      const answer = (a: RelayAnswer) => {
        clearTimeout(timer);
        const list = this.singles.get(key);
        const at = list?.indexOf(answer) ?? -1;
        if (list && at >= 0) list.splice(at, 1);
        if (list?.length === 0) this.singles.delete(key);
        resolve(a);
      };
      waiting.push(answer);
      this.singles.set(key, waiting);
      const get: BlobGet = {
        type: MessageType.blobGet,
        sha256,
        from: index,
        count: 1,
        ...(mayDefer ? { defer: true } : {}),
      };
      if (!this.send(get)) answer({ kind: 'error', message: 'not connected to the relay' });
    });
  }

  /** Takes a `blob.defer` message from the relay: the swarm should get the chunk from peers. */
  deferred(message: BlobDefer): void {
    for (const answer of [...(this.singles.get(`${message.sha256}:${message.index}`) ?? [])]) {
      answer({ kind: 'deferred', retryAfterMs: message.retryAfterMs });
    }
  }

  /** Takes a `blob` message from the relay. */
  async receive(message: BlobMessage): Promise<void> {
    const single = this.singles.get(`${message.sha256}:${message.index}`);
    const counted = single !== undefined;
    if (single) {
      let bytes: Uint8Array;
      try {
        bytes = chunkBytes(message);
      } catch {
        for (const answer of [...single]) answer({ kind: 'error', message: 'the chunk is not base64' });
        return;
      }
      this.bytes += bytes.length;
      for (const answer of [...single]) answer({ kind: 'chunk', bytes });
      if (!this.jobs.has(message.sha256)) return;
    }
    const job = this.jobs.get(message.sha256);
    if (!job) {
      if (!counted) this.keep(message);
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = chunkBytes(message);
    } catch {
      job.outstanding.delete(message.index);
      return this.bad(job, `chunk ${message.index} is not base64`);
    }
    return this.take(job, message.index, bytes, counted);
  }

  /** Keeps a chunk no fetch wants yet (pushed with a new release), within {@link PUSHED_KEEP_MAX_BYTES}. */
  private keep(message: BlobMessage): void {
    let bytes: Uint8Array;
    try {
      bytes = chunkBytes(message);
    } catch {
      return;
    }
    if (bytes.length > PUSHED_KEEP_MAX_BYTES) return;
    // The oldest pushed blobs give way (a blob no fetch takes, say of a release superseded at once).
    for (const [sha256, chunks] of this.pushed) {
      if (this.pushedBytes + bytes.length <= PUSHED_KEEP_MAX_BYTES) break;
      this.pushed.delete(sha256);
      for (const b of chunks.values()) this.pushedBytes -= b.length;
    }
    const chunks = this.pushed.get(message.sha256) ?? new Map<number, Uint8Array>();
    this.pushed.set(message.sha256, chunks);
    this.pushedBytes += bytes.length - (chunks.get(message.index)?.length ?? 0);
    chunks.set(message.index, bytes);
  }

  /**
   * A chunk for a fetch: checked against its hash, then the fetch goes on (or completes). A pushed
   * chunk that fails is dropped and asked for as usual: it was no answer, so it is no bad answer.
   */
  private async take(
    job: Job,
    index: number,
    bytes: Uint8Array,
    counted: boolean,
    pushed = false,
  ): Promise<void> {
    // A late answer to a request asked again after a stall is still welcome; a duplicate is not.
    if (job.asm.has(index) || job.verifying.has(index) || index >= job.desc.chunks.length) return;
    // Until its hash is checked the chunk is neither missing nor held: `pump` must not ask for it again.
    job.verifying.add(index);
    const added = await job.asm.add(index, bytes);
    job.verifying.delete(index);
    job.outstanding.delete(index);
    if (!added.ok) return pushed ? this.pump(job) : this.bad(job, added.message);
    if (added.value) {
      if (!counted) this.bytes += bytes.length;
      for (const p of job.progress) p(job.asm.receivedBytes, job.desc.size);
    }
    if (job.asm.complete) {
      if (this.jobs.get(job.desc.sha256) === job) this.finish(job, await job.asm.assemble());
      return;
    }
    this.pump(job);
  }

  private bad(job: Job, why: string): void {
    job.badChunks++;
    if (job.badChunks > this.maxBadChunks) {
      this.finish(job, fail(ErrorCode.HASH_MISMATCH, `the relay sent bad chunks (${why})`));
      return;
    }
    this.pump(job);
  }

  /** Asks for the next missing chunks, up to the window, in contiguous runs. */
  private pump(job: Job): void {
    if (this.jobs.get(job.desc.sha256) !== job) return;
    const room = this.window - job.outstanding.size;
    if (room > 0) {
      const wanted = job.asm
        .missing()
        .filter((i) => !job.outstanding.has(i) && !job.verifying.has(i))
        .slice(0, room);
      let i = 0;
      while (i < wanted.length) {
        const from = wanted[i]!;
        let count = 1;
        while (i + count < wanted.length && wanted[i + count] === from + count) count++;
        const sent = this.send({ type: MessageType.blobGet, sha256: job.desc.sha256, from, count });
        if (!sent) break;
        for (let k = 0; k < count; k++) job.outstanding.add(from + k);
        i += count;
      }
    }
    clearTimeout(job.stallTimer);
    if (job.outstanding.size > 0) {
      job.stallTimer = setTimeout(() => {
        job.outstanding.clear();
        this.pump(job);
      }, this.stallMs);
    }
  }

  private finish(job: Job, result: Result<Uint8Array>): void {
    this.drop(job);
    for (const w of [...job.waiters]) w(result);
    job.waiters.clear();
  }

  private drop(job: Job): void {
    clearTimeout(job.stallTimer);
    this.jobs.delete(job.desc.sha256);
  }

  /** Abandons every fetch and chunk request. */
  close(): void {
    this.pushed.clear();
    this.pushedBytes = 0;
    for (const list of [...this.singles.values()]) {
      for (const answer of [...list]) answer({ kind: 'error', message: 'player closed' });
    }
    for (const job of [...this.jobs.values()]) this.finish(job, fail(ErrorCode.INTERNAL, 'player closed'));
  }
}

/** A chunk's bytes: as they came in a binary chunk frame, or decoded from base64 (throws if not). */
function chunkBytes(message: BlobMessage): Uint8Array {
  return 'bytes' in message ? message.bytes : decodeBase64(message.data);
}
