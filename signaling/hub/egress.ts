/**
 * The relay's blob egress budget (`patchcast serve --egress-limit`): a token bucket over the bytes of
 * blob chunks it sends, standing in for a real uplink. Every chunk the relay decides to send waits
 * its turn here, first come first served; the bucket refills at the limit and holds at most a short
 * burst. Without a limit nothing waits.
 *
 * The swarm deferral policy reads {@link EgressBudget.underBudget}: while the relay could send what
 * is asked of it (the queue, plus a whole copy of the blob to every client asking for it) within
 * `budgetMs`, it is not the bottleneck and serves every request at once; past it, it serves only
 * chunks nobody has yet and tells clients with peers to get the rest from them. The demand, not the
 * queue, is what counts: swarm clients that were told to ask their peers ask the relay for little,
 * so a short queue says nothing about how long the relay alone would take.
 */

/** Default: the relay is the bottleneck when serving everyone asking would take longer than this. */
export const DEFAULT_EGRESS_BUDGET_MS = 1000;
/** The bucket holds this much time's worth of bytes (its burst), at least {@link MIN_EGRESS_BURST_BYTES}. */
export const EGRESS_BURST_MS = 20;
/** Smallest burst: one default chunk goes out whole. */
export const MIN_EGRESS_BURST_BYTES = 64 * 1024;

/** Options of {@link EgressBudget}. */
export interface EgressOptions {
  /** Blob bytes per second, or null for no limit. */
  readonly bytesPerSecond: number | null;
  /** See {@link DEFAULT_EGRESS_BUDGET_MS}. */
  readonly budgetMs?: number;
  readonly now?: () => number;
}

interface Waiting {
  readonly bytes: number;
  readonly run: () => void;
  readonly skip: (() => boolean) | undefined;
}

/** See the file comment. */
export class EgressBudget {
  readonly bytesPerSecond: number | null;
  private readonly budgetMs: number;
  private readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private refilledAt: number;
  private readonly queue: Waiting[] = [];
  private queuedBytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** Blob bytes let through since start. */
  sentBytes = 0;

  constructor(options: EgressOptions) {
    const rate = options.bytesPerSecond;
    if (rate !== null && !(rate > 0)) throw new RangeError('an egress limit must be above 0 bytes/s');
    this.bytesPerSecond = rate;
    this.budgetMs = options.budgetMs ?? DEFAULT_EGRESS_BUDGET_MS;
    this.now = options.now ?? (() => performance.now());
    this.burst = rate === null ? Infinity : Math.max(MIN_EGRESS_BURST_BYTES, (rate * EGRESS_BURST_MS) / 1000);
    this.tokens = this.burst;
    this.refilledAt = this.now();
  }

  /** How long `more` bytes queued now would take to leave (ms; 0 without a limit). */
  waitMs(more = 0): number {
    if (this.bytesPerSecond === null) return 0;
    this.refill();
    const debt = this.queuedBytes + more - this.tokens;
    return debt <= 0 ? 0 : (debt / this.bytesPerSecond) * 1000;
  }

  /** True while the relay's egress is not the bottleneck: `demandBytes` more would leave within `budgetMs`. */
  underBudget(demandBytes = 0): boolean {
    return this.waitMs(demandBytes) <= this.budgetMs;
  }

  /**
   * Runs `run` once `bytes` more blob bytes may go out (at once when they may now). `skip`, asked when
   * their turn comes: true drops them without using the budget (`run` is not called).
   */
  schedule(bytes: number, run: () => void, skip?: () => boolean): void {
    if (this.closed) return;
    if (this.bytesPerSecond === null) {
      if (skip?.()) return;
      this.sentBytes += bytes;
      run();
      return;
    }
    this.queue.push({ bytes, run, skip });
    this.queuedBytes += bytes;
    this.drain();
  }

  /**
   * Without a limit: counts `bytes` let out now and returns true (false once closed) — what
   * {@link schedule} does then, without a callback to make per answer.
   */
  letThrough(bytes: number): boolean {
    if (this.bytesPerSecond !== null) throw new Error('letThrough is for a relay without an egress limit');
    if (this.closed) return false;
    this.sentBytes += bytes;
    return true;
  }

  /** Drops everything queued (the relay is closing). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private refill(): void {
    const now = this.now();
    const rate = this.bytesPerSecond ?? 0;
    // The burst caps what an idle link saves up; a link with a queue was busy all along, so a timer
    // that fires late (a loaded event loop) must not cost it capacity.
    const cap = this.queue.length > 0 ? Infinity : this.burst;
    this.tokens = Math.min(cap, this.tokens + ((now - this.refilledAt) * rate) / 1000);
    this.refilledAt = now;
  }

  /** Lets out what the bucket allows (a chunk bigger than the burst waits for a full bucket), then waits. */
  private drain(): void {
    if (this.timer !== undefined) return;
    this.refill();
    const need = (bytes: number) => Math.min(bytes, this.burst);
    while (this.queue.length > 0 && this.tokens >= need(this.queue[0]!.bytes)) {
      const next = this.queue.shift()!;
      this.queuedBytes -= next.bytes;
      // Dropped when its turn comes: the tokens it waited for go to the next one.
      if (next.skip?.()) continue;
      this.tokens -= next.bytes;
      this.sentBytes += next.bytes;
      next.run();
    }
    if (this.queue.length === 0) return;
    const rate = this.bytesPerSecond ?? Infinity;
    const missing = need(this.queue[0]!.bytes) - this.tokens;
    const waitMs = Math.max(1, Math.ceil((missing / rate) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, waitMs);
  }
}

/** How long a client that asked for a blob counts as wanting it (a transfer outlasting it asks again). */
export const DEMAND_WINDOW_MS = 10_000;
/** Blobs whose askers are remembered at most. */
const DEMAND_BLOBS = 64;

/**
 * Who wants each blob: the connections that asked for a chunk of it within {@link DEMAND_WINDOW_MS}.
 * Their count times the blob's size is what the relay alone would have to send.
 */
export class BlobDemand {
  private readonly askers = new Map<string, Map<number, number>>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Notes that connection `connId` asked for blob `sha256`; returns how many want it now. */
  note(sha256: string, connId: number): number {
    const now = this.now();
    let askers = this.askers.get(sha256);
    if (!askers) {
      askers = new Map();
      this.askers.set(sha256, askers);
      if (this.askers.size > DEMAND_BLOBS) this.askers.delete(this.askers.keys().next().value!);
    }
    askers.delete(connId);
    askers.set(connId, now);
    // Oldest first (re-inserted on every ask): drop those that stopped asking.
    for (const [id, at] of askers) {
      if (now - at <= DEMAND_WINDOW_MS) break;
      askers.delete(id);
    }
    return askers.size;
  }
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  bit: 1 / 8,
  kbit: 1e3 / 8,
  mbit: 1e6 / 8,
  gbit: 1e9 / 8,
};

/**
 * Parses an egress limit: bytes per second (`12MB`, `500KiB`, `1000000`) or bits per second
 * (`100mbit`, `1gbit`), an optional `/s` after the unit. Decimal prefixes are powers of ten,
 * `Ki`/`Mi`/`Gi` of two. Returns bytes per second, or null for text that is not one.
 */
export function parseRate(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)(?:\/s)?\s*$/i.exec(text);
  if (!match) return null;
  const factor = UNITS[match[2]!.toLowerCase()];
  if (factor === undefined) return null;
  const value = Number(match[1]) * factor;
  return Number.isFinite(value) && value >= 1 ? value : null;
}
