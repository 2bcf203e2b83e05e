/**
 * The swarm deferral across relay nodes. A node past its egress budget serves the first copy of each
 * chunk to the swarm and defers later requests to the requester's peers (`signaling/hub/deferral.ts`).
 * In a cluster the swarm spans the nodes (players link across them: `swarm-share.ts`), so each node
 * tells the others of the copies it served to players with peers, and counts theirs as its own: the
 * cluster as a whole lets out about one copy of each chunk, not one per node.
 *
 * Copies served in one turn of the event loop go out as one message per blob. A message lost (pub/sub
 * gives no guarantee) only means one more copy served: the policy's trickle is a floor, not a promise.
 */
import type { DeferralPolicy } from '../hub/deferral.ts';
import type { ClusterStore } from './redis-store.ts';

/** Most chunk indexes one message names (a bigger batch goes as several). */
export const MAX_COPIES_PER_MESSAGE = 1024;

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
    policy.onSwarmCopy = (sha256, chunks, index, underBudget) => this.copied(sha256, chunks, index, underBudget);
    this.stopListening = store.onEvent((event) => {
      if (event.type !== 'copies' || event.node === store.node) return;
      for (const index of event.indexes)
        policy.copiedElsewhere(event.sha256, event.chunks, index, event.underBudget);
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
    for (const { sha256, chunks, underBudget, indexes } of this.pending.values()) {
      for (let i = 0; i < indexes.length; i += MAX_COPIES_PER_MESSAGE) {
        const part = indexes.slice(i, i + MAX_COPIES_PER_MESSAGE);
        this.store.tell({ type: 'copies', node: this.store.node, sha256, chunks, underBudget, indexes: part });
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
