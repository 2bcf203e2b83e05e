/**
 * The fan-out scheduler: how many connections may be filled with bulk bytes (blob chunks, seed
 * `hot_update` frames) at once. Filling every socket at the same time is the slowest way to serve
 * many receivers on one machine (kernel socket memory, many small reads: see BENCHMARKS.md), while one
 * at a time lets a single receiver that stopped reading hold back everyone behind it — the seed's
 * flaw. So a few connections at a time hold a write slot, and a holder that makes no progress for
 * `stallMs` loses it to the next in line and queues again once it moves.
 *
 * Slot holders also take turns: a connection whose write completed refills its socket in the next
 * turn ({@link WriteScheduler.nextTurn}), after every other connection whose write completed before
 * it — one window each, round robin. Refilled at once instead, a socket whose writes the kernel takes
 * straight away (loopback, an open window) is handed its whole blob in one burst of callbacks before
 * the event loop looks at any other socket: its receiver's buffer overflows (zero-window
 * advertisements, loss probes), and the receiving machine pays for sending the rest
 * (docs/server.md, "fifteenth round").
 */

/**
 * Connections written at once by default. Each holder has its whole window handed to the kernel at
 * once, so the slots bound how many sockets fill together; 4 (the earlier default) left the relay's
 * event loop idle ~65 % of a 500-client fan-out, waiting for four sockets to drain, while a bare
 * server writing every socket at once finished first (docs/server.md, "sixth round"). 64 keeps the
 * readers of many sockets busy, and a non-reader still holds one slot for at most `stallMs`.
 */
export const DEFAULT_WRITE_SLOTS = 64;

/**
 * Sockets filling at once, slot holders and holders whose slot was taken back mid-write together, are
 * at most this many times the slot count (see {@link WriteScheduler}'s `revoked`).
 */
export const REVOKED_SHARE = 2;

/**
 * How far the slot count moves from `maxActive` with what the readers show ({@link WriteScheduler}):
 * up to this many times it while holders finish without stalling, down to `maxActive` over this when
 * many stall at once.
 */
export const SLOT_RANGE = 8;

/** A slot holder that hands the kernel nothing for this long loses its slot, by default. */
export const DEFAULT_STALL_MS = 250;

/** A connection as the scheduler sees it. */
export interface SlotHolder {
  /** When bytes last left for the kernel (ms, `performance.now()` clock). */
  readonly lastProgress: number;
  /** Updates {@link lastProgress} with what completions don't show (the kernel taking a big write). */
  observeProgress?(): void;
  /** Bytes handed to the socket are still unflushed (a slot taken back leaves them in flight). */
  readonly writing: boolean;
  /** Called when the connection gets a slot. */
  granted(): void;
  /** Called when the slot is taken back from a holder that stalled. */
  revoked(): void;
  /** Called when the turn it asked for with {@link WriteScheduler.nextTurn} comes: writes what it may. */
  turn(): void;
}

/** Runs `turns` later: after the I/O callbacks and ticks now pending (`setImmediate` by default). */
export type TurnDefer = (turns: () => void) => void;

/** Options of {@link WriteScheduler}. */
export interface SchedulerOptions {
  /** Connections written at once (default {@link DEFAULT_WRITE_SLOTS}). */
  readonly maxActive?: number;
  /** No progress for this long loses the slot (default {@link DEFAULT_STALL_MS}). */
  readonly stallMs?: number;
  readonly now?: () => number;
  /** Told about every slot taken back (metrics). */
  readonly onRevoke?: () => void;
  /** When the turns asked for run (tests run them when they say). */
  readonly defer?: TurnDefer;
}

/**
 * Grants write slots, first come first served, and takes them back from stalled holders. The number of
 * slots follows the readers (additive increase, multiplicative decrease, as TCP's window): each holder
 * that gives its slot back without having stalled adds one, up to {@link SLOT_RANGE} × `maxActive` —
 * readers that keep up are best served many sockets at once, as a bare server writing every socket
 * does; a sweep that finds a quarter of the holders stalled halves it, down to `maxActive` ÷
 * {@link SLOT_RANGE} — a machine full of slow readers takes many filling sockets worst (the kernel's
 * socket memory). One non-reader among many readers moves nothing.
 */
export class WriteScheduler {
  private readonly active = new Set<SlotHolder>();
  private readonly waiting = new Set<SlotHolder>();
  /**
   * Holders whose slot was taken back while their write was still in flight: they still fill a
   * socket. Slots are given out only while these and the holders together stay under
   * {@link REVOKED_SHARE} × the slot count — else, when every reader is slow (many on one machine),
   * taking slots back would start socket after socket until all of them fill at once, the slowest
   * way (the kernel's socket memory runs out). A true non-reader stays here until it is dropped.
   */
  private readonly revoked = new Set<SlotHolder>();
  private readonly maxActive: number;
  /** Slots now (see the class comment). */
  private limit: number;
  readonly stallMs: number;
  private readonly now: () => number;
  private readonly onRevoke: () => void;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Slots taken back from stalled holders, since start (for metrics and tests). */
  revocations = 0;
  /**
   * Holders waiting for their next turn, in the order they asked (a `Set` keeps it). Not empty: a
   * round of turns is due (the set is swapped for an empty one when the round starts).
   */
  private turns = new Set<SlotHolder>();
  private readonly defer: TurnDefer;

  constructor(options: SchedulerOptions = {}) {
    this.maxActive = Math.max(1, options.maxActive ?? DEFAULT_WRITE_SLOTS);
    this.limit = this.maxActive;
    this.stallMs = options.stallMs ?? DEFAULT_STALL_MS;
    this.now = options.now ?? (() => performance.now());
    this.onRevoke = options.onRevoke ?? (() => {});
    this.defer = options.defer ?? setImmediate;
  }

  /**
   * Asks for `holder.turn()` after the holders that asked before it had theirs, once the I/O
   * callbacks and ticks pending now have run: a write's completion refills the socket then, not
   * from inside its own callback (see the file comment). Asking twice before the turn is one turn.
   */
  nextTurn(holder: SlotHolder): void {
    const roundDue = this.turns.size > 0;
    this.turns.add(holder);
    if (!roundDue) this.defer(this.runTurns);
  }

  private readonly runTurns = (): void => {
    // Holders asking during these turns (a write completing at once) wait for the next round.
    const due = this.turns;
    this.turns = new Set();
    for (const holder of due) holder.turn();
  };

  /** Connections holding a slot. */
  get activeCount(): number {
    return this.active.size;
  }

  /** Slots now: `maxActive` at the start, then as the readers show (see the class comment). */
  get slotLimit(): number {
    return this.limit;
  }

  /** Connections waiting for one. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** Asks for a slot; `granted()` is called now or later. Asking twice is harmless. */
  request(holder: SlotHolder): void {
    if (this.active.has(holder) || this.waiting.has(holder)) return;
    // A holder asking again is moving: its old write is no longer counted apart.
    this.revoked.delete(holder);
    if (this.hasRoom()) this.grant(holder);
    else this.waiting.add(holder);
  }

  /** Gives a slot back, its writes done (or leaves the line). */
  release(holder: SlotHolder): void {
    // Done without stalling: one more socket may fill at once.
    if (this.active.has(holder)) this.limit = Math.min(this.maxActive * SLOT_RANGE, this.limit + 1);
    this.leave(holder);
  }

  /** A holder gone (its connection closed): its slot or place in line is freed, and says nothing of the readers. */
  leave(holder: SlotHolder): void {
    this.waiting.delete(holder);
    const freed = this.active.delete(holder) || this.revoked.delete(holder);
    if (freed) this.grantNext();
  }

  /** A holder's bytes are all flushed: if its slot was taken back mid-write, that write is done. */
  flushed(holder: SlotHolder): void {
    if (this.revoked.delete(holder)) this.grantNext();
  }

  private hasRoom(): boolean {
    const busy = this.active.size + this.revoked.size;
    // (The bound on revoked writes stays the configured one when the slots shrink: a crowd of
    // non-readers, stalled all at once, must still hold back no one.)
    return this.active.size < this.limit && busy < Math.max(this.limit, this.maxActive) * REVOKED_SHARE;
  }

  private grant(holder: SlotHolder): void {
    this.active.add(holder);
    this.ensureTimer();
    holder.granted();
  }

  private grantNext(): void {
    while (this.hasRoom()) {
      const next = this.waiting.values().next();
      if (next.done) break;
      this.waiting.delete(next.value);
      this.grant(next.value);
    }
  }

  /** Takes slots back from holders without progress for `stallMs`. Runs on a timer; tests call it. */
  sweep(): void {
    const now = this.now();
    for (const holder of [...this.revoked]) if (!holder.writing) this.revoked.delete(holder);
    const holders = this.active.size;
    let stalled = 0;
    for (const holder of [...this.active]) {
      holder.observeProgress?.();
      if (now - holder.lastProgress <= this.stallMs) continue;
      this.active.delete(holder);
      if (holder.writing) this.revoked.add(holder);
      this.revocations++;
      stalled++;
      this.onRevoke();
      holder.revoked();
    }
    // Many stalled at once: the readers can't keep up with this many sockets filling.
    if (stalled >= 2 && stalled * 4 >= holders) {
      this.limit = Math.max(Math.ceil(this.maxActive / SLOT_RANGE), Math.floor(this.limit / 2));
    }
    this.grantNext();
    if (this.active.size === 0 && this.revoked.size === 0 && this.timer) {
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
    this.turns.clear();
  }
}
