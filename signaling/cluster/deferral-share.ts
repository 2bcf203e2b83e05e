/**
 * The swarm deferral across relay nodes. A node past its egress budget serves the first copy of each
 * chunk to the swarm and defers later requests to the requester's peers (`signaling/hub/deferral.ts`).
 * In a cluster the swarm spans the nodes (players link across them: `swarm-share.ts`), so each node
 * tells the others of the copies it served to players with peers, and counts theirs as its own: the
 * cluster as a whole lets out about one copy of each chunk, not one per node.
 *
 * Two nodes may decide a first copy of the same chunk before hearing of each other (their players ask
 * at once when a release lands). Of two such copies, the one whose node ranks first for that chunk
 * ({@link copyRank}: a hash of node, blob and index, the same on every node) goes out, and the other,
 * still waiting for its egress budget, yields: its request is deferred instead
 * (`DeferralPolicy.yields`). Ranking per chunk, not per node, spreads the first copies over the
 * nodes' players, as one relay's random request orders do: every player then holds chunks the others
 * want, and each is told to trade (a player only announces chunk by chunk once the swarm carries its
 * blob). A copy sent while its node had room goes before any.
 *
 * Copies served in one turn of the event loop go out as one message per blob. A message lost (pub/sub
 * gives no guarantee) only means one more copy served: the policy's trickle is a floor, not a promise.
 */
import type { DeferralPolicy } from '../hub/deferral.ts';
import type { ClusterStore } from './redis-store.ts';

/** Most chunk indexes one message names (a bigger batch goes as several). */
export const MAX_COPIES_PER_MESSAGE = 1024;

/** A node's rank for a chunk (lower goes first): 32-bit FNV-1a of `node/sha256/index`. */
export function copyRank(node: string, sha256: string, index: number): number {
  let hash = 0x811c9dc5;
  const text = `${node}/${sha256}/${index}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

interface Batch {
  readonly sha256: string;
  readonly chunks: number;
  readonly underBudget: boolean;
  readonly indexes: number[];
}

/** Tells the other nodes of this node's copies to the swarm, and counts theirs. */
export class DeferralShare {
  private readonly pending = new Map<string, Batch>();
  private flushing: NodeJS.Immediate | null = null;
  private readonly stopListening: () => void;

  constructor(
    private readonly store: ClusterStore,
    private readonly policy: DeferralPolicy,
  ) {
    policy.onSwarmCopy = (sha256, chunks, index, underBudget) =>
      this.copied(sha256, chunks, index, underBudget);
    this.stopListening = store.onEvent((event) => {
      if (event.type !== 'copies' || event.node === store.node) return;
      for (const index of event.indexes) {
        const precedes =
          event.underBudget ||
          copyRank(event.node, event.sha256, index) < copyRank(store.node, event.sha256, index);
        policy.copiedElsewhere(event.sha256, event.chunks, index, event.underBudget, precedes);
      }
    });
  }

  private copied(sha256: string, chunks: number, index: number, underBudget: boolean): void {
    const key = `${sha256}/${chunks}/${underBudget}`;
    let batch = this.pending.get(key);
    if (!batch) {
      batch = { sha256, chunks, underBudget, indexes: [] };
      this.pending.set(key, batch);
    }
    batch.indexes.push(index);
    this.flushing ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushing = null;
    const node = this.store.node;
    for (const { sha256, chunks, underBudget, indexes } of this.pending.values()) {
      for (let i = 0; i < indexes.length; i += MAX_COPIES_PER_MESSAGE) {
        const part = indexes.slice(i, i + MAX_COPIES_PER_MESSAGE);
        this.store.tell({ type: 'copies', node, sha256, chunks, underBudget, indexes: part });
      }
    }
    this.pending.clear();
  }

  /** Stops telling and counting. */
  close(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.policy.onSwarmCopy = null;
    this.stopListening();
  }
}
