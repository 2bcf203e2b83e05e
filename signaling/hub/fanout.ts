/**
 * The fan-out scheduler: how many connections may be filled with bulk bytes (blob chunks, seed
 * `hot_update` frames) at once. Filling every socket at the same time is the slowest way to serve
 * many receivers on one machine (kernel socket memory, many small reads: see BENCHMARKS.md), while one
 * at a time lets a single receiver that stopped reading hold back everyone behind it — the seed's
 * flaw. So a few connections at a time hold a write slot, and a holder that makes no progress for
 * `stallMs` loses it to the next in line and queues again once it moves.
 */

/**
 * Connections written at once by default. Each holder has its whole window handed to the kernel at
 * once, so the slots bound how many sockets fill together; 4 (the earlier default) left the relay's
 * event loop idle ~65 % of a 500-client fan-out, waiting for four sockets to drain, while a bare
 * server writing every socket at once finished first (docs/server.md, "sixth round"). 64 keeps the
 * readers of many sockets busy, and a non-reader still holds one slot for at most `stallMs`.
 */
export const DEFAULT_WRITE_SLOTS = 64;

/** A connection as the scheduler sees it. */
export interface SlotHolder {
  /** When bytes last left for the kernel (ms, `performance.now()` clock). */
  readonly lastProgress: number;
  /** Called when the connection gets a slot. */
  granted(): void;
  /** Called when the slot is taken back from a holder that stalled. */
  revoked(): void;
}

/** Options of {@link WriteScheduler}. */
export interface SchedulerOptions {
  /** Connections written at once (default {@link DEFAULT_WRITE_SLOTS}). */
  readonly maxActive?: number;
  /** No progress for this long loses the slot (default 250 ms). */
  readonly stallMs?: number;
  readonly now?: () => number;
  /** Told about every slot taken back (metrics). */
  readonly onRevoke?: () => void;
}

/** Grants write slots, first come first served, and takes them back from stalled holders. */
export class WriteScheduler {
  private readonly active = new Set<SlotHolder>();
  private readonly waiting = new Set<SlotHolder>();
  private readonly maxActive: number;
  readonly stallMs: number;
  private readonly now: () => number;
  private readonly onRevoke: () => void;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Slots taken back from stalled holders, since start (for metrics and tests). */
  revocations = 0;

  constructor(options: SchedulerOptions = {}) {
    this.maxActive = Math.max(1, options.maxActive ?? DEFAULT_WRITE_SLOTS);
    this.stallMs = options.stallMs ?? 250;
    this.now = options.now ?? (() => performance.now());
    this.onRevoke = options.onRevoke ?? (() => {});
  }

  /** Connections holding a slot. */
  get activeCount(): number {
    return this.active.size;
  }

  /** Connections waiting for one. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Asks for a slot; `granted()` is called now or later. Asking twice is harmless. */
  request(holder: SlotHolder): void {
    if (this.active.has(holder) || this.waiting.has(holder)) return;
    if (this.active.size < this.maxActive) this.grant(holder);
    else this.waiting.add(holder);
  }

  /** Gives a slot back (or leaves the line). */
  release(holder: SlotHolder): void {
    this.waiting.delete(holder);
    if (this.active.delete(holder)) this.grantNext();
  }

  private grant(holder: SlotHolder): void {
    this.active.add(holder);
    this.ensureTimer();
    holder.granted();
  }

  private grantNext(): void {
    while (this.active.size < this.maxActive) {
      const next = this.waiting.values().next();
      if (next.done) break;
      this.waiting.delete(next.value);
      this.grant(next.value);
    }
  }

  /** Takes slots back from holders without progress for `stallMs`. Runs on a timer; tests call it. */
  sweep(): void {
    const now = this.now();
    for (const holder of [...this.active]) {
      if (now - holder.lastProgress <= this.stallMs) continue;
      this.active.delete(holder);
      this.revocations++;
      this.onRevoke();
      holder.revoked();
    }
    this.grantNext();
    if (this.active.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(), Math.max(10, this.stallMs / 2));
    this.timer.unref();
  }

  /** Stops the timer. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.active.clear();
    this.waiting.clear();
  }
}
