/**
 * Chunk bookkeeping on the fetching side: one blob being downloaded — its assembler, the order its
 * chunks are asked in, what is in flight where, when the relay may be asked again, and who waits.
 */
import { BlobAssembler, type BlobDescriptor, type Hasher } from '../../protocol/blobs.ts';
import type { Result } from '../../protocol/errors.ts';
import type { TimerHandle } from './clock.ts';
import { range } from './held-blobs.ts';

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

function shuffled(n: number, random: () => number): number[] {
  const order = range(n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
