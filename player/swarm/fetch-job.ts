/**
 * Chunk bookkeeping on the fetching side: one blob being downloaded — its assembler, the order its
 * chunks are asked in, what is in flight where, when the relay may be asked again, and who waits —
 * and the steps that keep it straight (a request cleared, a chunk checked, a wake-up armed, the
 * callers answered). Who is asked for what is the scheduler's (`chunk-scheduler.ts`).
 */
import { BlobAssembler, type BlobDescriptor, type Hasher } from '../../protocol/blobs.ts';
import { ErrorCode, fail, type Result } from '../../protocol/errors.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { range } from './held-blobs.ts';
import type { PeerState } from './peer.ts';

/** Where a chunk in flight was asked: a peer's id, or {@link RELAY}. */
export const RELAY = '(relay)';

/** One blob being fetched. */
export interface FetchJob {
  readonly desc: BlobDescriptor;
  readonly asm: BlobAssembler;
  readonly order: number[];
  /** chunk → where it was asked for, when, and the timer that gives up on it. */
  readonly inflight: Map<number, { readonly from: string; readonly at: number; readonly timer: TimerHandle }>;
  readonly relayNotBefore: Map<number, number>;
  /** Chunks the relay said our peers can give us. */
  readonly deferred: Set<number>;
  /** Chunks received whose hash is being checked: neither missing nor held, so not asked again. */
  readonly verifying: Set<number>;
  /** Chunks gained while the relay served at once, not yet told to peers (see `ChunkScheduler.gained`). */
  readonly unannounced: number[];
  /** The swarm carries this blob (the relay deferred a chunk of it, or a peer gave us one): every chunk gained is told to peers. */
  swarmCarries: boolean;
  readonly waiters: ((result: Result<Uint8Array>) => void)[];
  readonly progress: ((received: number, total: number) => void)[];
  done: boolean;
  /** Since when nothing of it is asked of anyone though chunks are missing (null: something is). */
  idleSince: number | null;
  wakeAt: number | null;
  wakeTimer: TimerHandle;
}

/** A new job for `desc`: chunks in a random order per player, so that players trade early. */
export function newFetchJob(desc: BlobDescriptor, hash: Hasher, random: () => number): FetchJob {
  return {
    desc,
    asm: new BlobAssembler(desc, hash),
    order: shuffled(desc.chunks.length, random),
    inflight: new Map(),
    relayNotBefore: new Map(),
    deferred: new Set(),
    verifying: new Set(),
    unannounced: [],
    swarmCarries: false,
    waiters: [],
    progress: [],
    done: false,
    idleSince: null,
    wakeAt: null,
    wakeTimer: undefined,
  };
}

/** True when chunk `index` is still to be asked: not held, not in flight, not being checked. */
export function wanted(job: FetchJob, index: number): boolean {
  return !job.asm.has(index) && !job.inflight.has(index) && !job.verifying.has(index);
}

/**
 * One caller's wait for the job's result (reporting progress to `onProgress`). A caller whose
 * `signal` aborts gets a failure at once; when the last one has, `abandoned` is called.
 */
export function waitFor(
  job: FetchJob,
  opts: { signal?: AbortSignal; onProgress?: (received: number, total: number) => void },
  abandoned: () => void,
): Promise<Result<Uint8Array>> {
  if (opts.onProgress) job.progress.push(opts.onProgress);
  return new Promise<Result<Uint8Array>>((resolve) => {
    job.waiters.push(resolve);
    opts.signal?.addEventListener('abort', () => {
      const i = job.waiters.indexOf(resolve);
      if (i >= 0) job.waiters.splice(i, 1);
      resolve(fail(ErrorCode.INTERNAL, 'fetch aborted'));
      if (job.waiters.length === 0) abandoned();
    });
  });
}

/** Checks and keeps a chunk; while its hash is checked, it is not asked for again. */
export async function verifyChunk(job: FetchJob, index: number, bytes: Uint8Array): Promise<Result<boolean>> {
  job.verifying.add(index);
  try {
    return await job.asm.add(index, bytes);
  } finally {
    job.verifying.delete(index);
  }
}

/** Clears a request to `peer` (answered, refused or timed out); one to anybody else stays. */
export function settleRequest(job: FetchJob, index: number, peer: PeerState, clock: Clock): void {
  const pending = job.inflight.get(index);
  if (!pending || pending.from !== peer.link.id) return;
  clock.clearTimeout(pending.timer);
  job.inflight.delete(index);
  peer.inflight = Math.max(0, peer.inflight - 1);
}

/** Clears every request in flight (the job is over): their timers, and each peer's count. */
export function endRequests(job: FetchJob, clock: Clock, peers: ReadonlyMap<string, PeerState>): void {
  for (const [index, pending] of job.inflight) {
    clock.clearTimeout(pending.timer);
    const peer = peers.get(pending.from);
    if (peer) peer.inflight = Math.max(0, peer.inflight - 1);
    job.inflight.delete(index);
  }
}

/** Calls `pump` at `at` (one timer per job: the earliest wins, later ones re-arm). */
export function wakeJobAt(job: FetchJob, at: number, clock: Clock, pump: () => void): void {
  if (job.wakeAt !== null && job.wakeAt <= at) return;
  clock.clearTimeout(job.wakeTimer);
  job.wakeAt = at;
  job.wakeTimer = clock.setTimeout(
    () => {
      job.wakeAt = null;
      pump();
    },
    at - clock.now() + 1,
  );
}

function shuffled(n: number, random: () => number): number[] {
  const order = range(n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
