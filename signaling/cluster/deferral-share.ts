/**
 * The swarm deferral across relay nodes. A node past its egress budget serves the first copy of each
 * chunk to the swarm and defers later requests to the requester's peers (`signaling/hub/deferral.ts`).
 * In a cluster the swarm spans the nodes (players link across them: `swarm-share.ts`), so each node
 * tells the others of the copies it served to players with peers, and counts theirs as its own: the
 * cluster as a whole lets out about one copy of each chunk, not one per node.
 *
 * Two nodes may decide a first copy of the same chunk before hearing of each other (their players ask
 * at once when a release lands). Each message says when its copies were decided, and a node whose own
 * first copy is still waiting for its egress budget and was decided later lets it go: the request is
 * deferred instead (`DeferralPolicy.yields`). The times are the nodes' clocks (`Date.now()`): keep
 * them in sync (NTP); skew only costs a copy too many or a chunk left to the trickle.
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
  readonly at: number;
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
    policy.onSwarmCopy = (sha256, chunks, index, underBudget, at) =>
      this.copied(sha256, chunks, index, underBudget, at);
    this.stopListening = store.onEvent((event) => {
      if (event.type !== 'copies' || event.node === store.node) return;
      for (const index of event.indexes)
        policy.copiedElsewhere(event.sha256, event.chunks, index, event.underBudget, event.at);
    });
  }

  private copied(sha256: string, chunks: number, index: number, underBudget: boolean, at: number): void {
    const key = `${sha256}/${chunks}/${underBudget}/${at}`;
    let batch = this.pending.get(key);
    if (!batch) {
      batch = { sha256, chunks, underBudget, at, indexes: [] };
      this.pending.set(key, batch);
    }
    batch.indexes.push(index);
    this.flushing ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushing = null;
    for (const { sha256, chunks, underBudget, at, indexes } of this.pending.values()) {
      for (let i = 0; i < indexes.length; i += MAX_COPIES_PER_MESSAGE) {
        const part = indexes.slice(i, i + MAX_COPIES_PER_MESSAGE);
        const node = this.store.node;
        this.store.tell({ type: 'copies', node, sha256, chunks, underBudget, at, indexes: part });
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
