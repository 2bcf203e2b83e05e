/**
 * How the relay keeps its egress near one copy of a patch when it is the bottleneck, and out of the
 * way when it is not. While its blob egress is under budget (`egress.ts`: no limit, or a queue short
 * enough), every request is served at once — a swarm is then never slower than the relay alone.
 * Past the budget, the first request for a chunk is served at once; later requests for the same
 * chunk, from clients that said they have peers (`mayDefer`), are told to get it from the swarm. The relay then lets out one
 * more copy of that chunk after `holdMs`, the next after twice that, and so on — a trickle that
 * rescues a part of the swarm the chunk hasn't reached, without a flood when a large swarm is merely
 * slow: over a transfer of T, at most about log2(T / holdMs) extra copies of each chunk. The gap stops
 * growing at `maxGapMs`, and a chunk nobody asked for in `idleResetMs` starts afresh (newcomers to an
 * old release are not made to wait on a swarm that has long moved on). A client with no peers is
 * always served at once.
 */

/** The time the policy reads (ms; any monotonic-enough clock: the hub's wall clock, a simulation's). */
export interface DeferralClock {
  now(): number;
}

/** The relay's answer for one chunk request: serve it now, or tell the client to ask its peers. */
export type DeferralDecision =
  | {
      readonly serve: true;
      /**
       * Set on one of the swarm's first copies of the chunk while the relay is the bottleneck: when it
       * was decided. Until it leaves, another node of a cluster that decided a first copy of the same
       * chunk may take its place ({@link DeferralPolicy.yields}).
       */
      readonly firstCopyAt?: number;
    }
  | { readonly serve: false; readonly retryAfterMs: number };

/** Options of {@link DeferralPolicy}. */
export interface DeferralPolicyOptions {
  readonly clock: DeferralClock;
  /** Copies of each chunk served at once before deferring (default 1). */
  readonly copies?: number;
  /** After the first copies, the next copy of a chunk to a client with peers waits this long, then twice that, … (default 3000 ms: one trickle copy in a transfer of up to 9 s). */
  readonly holdMs?: number;
  /** The trickle's gap never grows past this (default 12 s). */
  readonly maxGapMs?: number;
  /** A chunk not served to the swarm for this long starts afresh (default 30 s). */
  readonly idleResetMs?: number;
  /** Blobs remembered at most (oldest forgotten first). */
  readonly maxBlobs?: number;
}

interface ChunkLedger {
  /** Copies served, to anyone. */
  readonly served: Uint32Array;
  /** Copies served to clients with peers (the ones the trickle paces). */
  readonly toSwarm: Uint32Array;
  readonly lastAt: Float64Array;
  /** When this node decided its pending first copy to the swarm (-Infinity: none pending). */
  readonly firstAt: Float64Array;
  /** A pending first copy decided at this time yields to another node's copy that goes before it. */
  readonly yieldAt: Float64Array;
}

/**
 * Chunks the relay served, by why (for the swarm benchmark and its readers): to a client that may not
 * be deferred — `alone` (it asked without `defer`: no peers) or `starved` (`swarm.starved`) —; to a
 * swarm client while the egress had `room`; as one of the swarm's `first` copies; as the `trickle`
 * after them. And `deferred`: requests answered with `blob.defer`.
 */
export interface ServedCounts {
  alone: number;
  starved: number;
  room: number;
  first: number;
  trickle: number;
  deferred: number;
}

/** Per-chunk serve counts for the relay's defer-to-swarm decision. */
export class DeferralPolicy {
  /** Every decision so far, by why (`alone` and `starved` are counted by the caller, which decides those). */
  readonly counts: ServedCounts = { alone: 0, starved: 0, room: 0, first: 0, trickle: 0, deferred: 0 };
  private readonly clock: DeferralClock;
  private readonly copies: number;
  private readonly holdMs: number;
  private readonly maxBlobs: number;
  private readonly maxGapMs: number;
  private readonly idleResetMs: number;
  private readonly ledgers = new Map<string, ChunkLedger>();
  /**
   * Told of every copy of a chunk served to a client with peers (`underBudget`: served while the
   * relay had room). A relay cluster passes them on to the other nodes' {@link copiedElsewhere}.
   */
  onSwarmCopy: ((sha256: string, chunkCount: number, index: number, underBudget: boolean) => void) | null =
    null;

  constructor(options: DeferralPolicyOptions) {
    this.clock = options.clock;
    this.copies = options.copies ?? 1;
    this.holdMs = options.holdMs ?? 3000;
    this.maxBlobs = options.maxBlobs ?? 64;
    this.maxGapMs = options.maxGapMs ?? 12_000;
    this.idleResetMs = Math.max(options.idleResetMs ?? 30_000, this.maxGapMs);
  }

  /**
   * Decides one request; a `serve` decision is recorded as a copy served. `underBudget`: the relay's
   * egress has room (default: it is always the bottleneck, the policy alone decides).
   */
  decide(
    sha256: string,
    chunkCount: number,
    index: number,
    mayDefer: boolean,
    underBudget = false,
  ): DeferralDecision {
    const ledger = this.ledger(sha256, chunkCount);
    const now = this.clock.now();
    const since = now - ledger.lastAt[index]!;
    if (since >= this.idleResetMs) ledger.toSwarm[index] = 0;
    const toSwarm = ledger.toSwarm[index]!;
    if (underBudget) {
      // Served at once; it counts as the swarm's first copies, not as the trickle (whose gap would
      // otherwise have grown with every copy served while the relay had room).
      if (mayDefer) this.countCopy(ledger, index, now, true);
      ledger.served[index]! += 1;
      if (mayDefer) this.onSwarmCopy?.(sha256, chunkCount, index, true);
      this.counts.room++;
      return { serve: true };
    }
    if (mayDefer && toSwarm >= this.copies) {
      const gap = Math.min(this.maxGapMs, this.holdMs * 2 ** (toSwarm - this.copies));
      if (since < gap) {
        this.counts.deferred++;
        return { serve: false, retryAfterMs: Math.max(50, Math.ceil(gap - since)) };
      }
    }
    if (mayDefer) this.counts[toSwarm >= this.copies ? 'trickle' : 'first']++;
    if (mayDefer) this.countCopy(ledger, index, now, false);
    ledger.served[index]! += 1;
    if (!mayDefer || this.onSwarmCopy === null) return { serve: true };
    this.onSwarmCopy(sha256, chunkCount, index, false);
    // Only a cluster's first copies may yield to another node's (one relay alone has no other).
    if (toSwarm >= this.copies) return { serve: true };
    ledger.firstAt[index] = now;
    return { serve: true, firstCopyAt: now };
  }

  /**
   * True if this node's first copy of a chunk, decided at `firstCopyAt` and not sent yet, should not
   * go out: another node of the cluster served or decided a first copy of the same chunk that goes
   * before it (both decided before hearing of each other). The caller defers the request instead, and
   * the copy no longer counts. Called when the copy's turn in the egress budget comes.
   */
  yields(sha256: string, index: number, firstCopyAt: number): boolean {
    const ledger = this.ledgers.get(sha256);
    if (!ledger || ledger.firstAt[index] !== firstCopyAt) return false;
    ledger.firstAt[index] = -Infinity;
    if (ledger.yieldAt[index] !== firstCopyAt) return false;
    ledger.toSwarm[index] = Math.max(0, ledger.toSwarm[index]! - 1);
    ledger.served[index] = Math.max(0, ledger.served[index]! - 1);
    return true;
  }

  /** How long a request whose copy yielded waits before asking the relay again (ms). */
  get yieldRetryMs(): number {
    return this.holdMs;
  }

  /**
   * Another relay node of a cluster served a copy of a chunk to a client with peers: the swarm spans
   * the nodes, so that copy counts here as if this node had served it (the cluster as a whole lets
   * out about one copy of each chunk, and the trickle after it). `precedes`: that copy goes before a
   * first copy of ours still waiting for the egress budget, which then yields ({@link yields}).
   */
  copiedElsewhere(
    sha256: string,
    chunkCount: number,
    index: number,
    underBudget: boolean,
    precedes: boolean,
  ): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= chunkCount) return;
    const ledger = this.ledger(sha256, chunkCount);
    const now = this.clock.now();
    const first = ledger.firstAt[index]!;
    if (precedes && first !== -Infinity) ledger.yieldAt[index] = first;
    if (now - ledger.lastAt[index]! >= this.idleResetMs) ledger.toSwarm[index] = 0;
    this.countCopy(ledger, index, now, underBudget);
  }

  /** Counts a copy to the swarm (one served while there was room counts only up to `copies`). */
  private countCopy(ledger: ChunkLedger, index: number, now: number, underBudget: boolean): void {
    const toSwarm = ledger.toSwarm[index]!;
    ledger.toSwarm[index] = underBudget ? Math.min(toSwarm + 1, Math.max(toSwarm, this.copies)) : toSwarm + 1;
    ledger.lastAt[index] = now;
  }

  /** Copies of a chunk served so far (for tests and metrics). */
  servedCount(sha256: string, index: number): number {
    return this.ledgers.get(sha256)?.served[index] ?? 0;
  }

  private ledger(sha256: string, chunkCount: number): ChunkLedger {
    let ledger = this.ledgers.get(sha256);
    if (!ledger || ledger.served.length !== chunkCount) {
      ledger = {
        served: new Uint32Array(chunkCount),
        toSwarm: new Uint32Array(chunkCount),
        lastAt: new Float64Array(chunkCount).fill(-Infinity),
        firstAt: new Float64Array(chunkCount).fill(-Infinity),
        yieldAt: new Float64Array(chunkCount).fill(-Infinity),
      };
      this.ledgers.set(sha256, ledger);
      if (this.ledgers.size > this.maxBlobs) {
        const oldest = this.ledgers.keys().next().value;
        if (oldest !== undefined) this.ledgers.delete(oldest);
      }
    }
    return ledger;
  }
}

/**
 * Whether a request may be deferred at all: only if the client asked with `defer` (it has peers) and
 * has not said `swarm.starved` (its peers give it nothing: deferring would leave it waiting on liars
 * or on a part of the swarm the patch hasn't reached). A starved client is served like one without
 * peers; it gains nothing it couldn't by leaving `defer` out.
 */
export function mayDeferTo(requested: boolean, starved: boolean): boolean {
  return requested && !starved;
}
