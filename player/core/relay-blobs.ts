/**
 * Blobs from the relay: `blob.get` requests over the current transport, `blob` chunks back, each one
 * verified against the slot's chunk hashes as it lands (`BlobAssembler`). A window of requests stays
 * in flight; a reconnect re-asks for whatever is still missing; a chunk that fails its hash is asked
 * for again a few times, then the fetch fails.
 */
import { BlobAssembler, type BlobDescriptor } from '../../protocol/blobs.ts';
import { ErrorCode, fail, type Result } from '../../protocol/errors.ts';
import {
  CHUNK_STALL_MS,
  CHUNK_WINDOW,
  MAX_BAD_CHUNKS,
  MAX_CHUNKS_PER_REQUEST,
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
    const index = message.index;
    // A late answer to a request asked again after a stall is still welcome; a duplicate is not.
    if (!job || job.asm.has(index) || job.verifying.has(index) || index >= job.desc.chunks.length) return;
    let bytes: Uint8Array;
    try {
      bytes = chunkBytes(message);
    } catch {
      job.outstanding.delete(index);
      return this.bad(job, `chunk ${index} is not base64`);
    }
    // Until its hash is checked the chunk is neither missing nor held: `pump` must not ask for it again.
    job.verifying.add(index);
    const added = await job.asm.add(index, bytes);
    job.verifying.delete(index);
    job.outstanding.delete(index);
    if (!added.ok) return this.bad(job, added.message);
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
