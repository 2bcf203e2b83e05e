/**
 * One connection's bounded send queue. Small control messages (welcome, release announcements,
 * roster, errors) go first and need no slot; bulk messages (blob chunks, seed frames carrying a whole
 * image) wait for a write slot from the {@link WriteScheduler}. At most `windowBytes` are handed to
 * the transport and not yet flushed, so a connection that stops reading stops costing anything but
 * its queue, and its queue is bounded: past `maxQueuedBytes`, or with no progress for
 * `dropAfterMs`, the owner is told it is too slow and drops it.
 *
 * A message sent with a `key` supersedes any unsent message with the same key: a newer release
 * announcement (or seed `hot_update`) replaces an older one that never left.
 */
import type { SlotHolder, WriteScheduler } from './fanout.ts';
import type { Framing } from './framing.ts';

/**
 * An encoded message: a complete TCP frame; its body (`frame.subarray(4)`) is the JSON text, or a
 * binary chunk body when `binary` (a binary WebSocket message). Each wire frames it with its
 * {@link Framing} (once per payload: a payload sent to many is framed once per wire).
 */
export interface Payload {
  readonly frame: Uint8Array;
  readonly binary?: boolean;
}

/**
 * Messages already framed for the wire of the connection they are sent to (a run of a blob's chunk
 * messages, `framed-blob.ts`), written as they are.
 */
export interface WireBytes {
  readonly wire: Uint8Array;
}

/**
 * A payload encoded only when its turn comes: a function, or an object with `encode` (cheaper to
 * make by the tens of thousands than a closure each).
 */
export type LazyPayload = (() => Payload) | { readonly encode: () => Payload };

/** Where an outbox writes: a socket, with its wire's framing. */
export interface Sink {
  /** How messages are framed on this wire. */
  readonly framing: Framing;
  /**
   * Largest piece per write; `Infinity` when every write must be whole messages (a WebSocket, where
   * others — ws's pongs and close frames — write to the socket between our writes).
   */
  readonly sliceBytes: number;
  /** Writes framed bytes; `done` runs once they are handed to the kernel, or with an error. */
  write(bytes: Uint8Array, done: (error?: Error | null) => void): void;
  /**
   * Optional: holds the writes that follow until {@link uncork}, which hands them to the kernel in
   * one system call (a pump writes several messages at once; one `writev` costs less than each).
   */
  /**
   * Optional: bytes written and not yet taken by the kernel. A big write completes only at its end;
   * this shows it moving before that (see {@link Outbox.observeProgress}).
   */
  unflushedBytes?(): number | undefined;
  cork?(): void;
  uncork?(): void;
}

/** How a message is queued. */
export interface SendOptions {
  /** Needs a write slot (big or many). */
  readonly bulk?: boolean;
  /** Replaces an unsent message with the same key. */
  readonly key?: string;
}

/** Limits of an outbox. */
export interface OutboxLimits {
  readonly windowBytes: number;
  readonly maxQueuedBytes: number;
  readonly dropAfterMs: number;
}

/** What may be queued. */
export type Sendable = Payload | WireBytes | LazyPayload;

interface Item {
  readonly payload: Sendable;
  readonly size: number;
  readonly key: string | undefined;
  readonly bulk: boolean;
}

interface Current {
  readonly bytes: Uint8Array;
  offset: number;
  readonly bulk: boolean;
}

/** The send side of one connection. */
export class Outbox implements SlotHolder {
  private readonly control: Item[] = [];
  private readonly bulk: Item[] = [];
  private current: Current | null = null;
  private inflight = 0;
  private queued = 0;
  private hasSlot = false;
  private pumping = false;
  /** After `finish`: nothing new is queued, the current message and the last one go without a slot. */
  private closing = false;
  private closed = false;
  private drainWaiters: (() => void)[] = [];
  lastProgress: number;
  /** The sink's unflushed bytes when {@link observeProgress} last looked. */
  private lastUnflushed = 0;
  /** Bytes handed to the transport and flushed. */
  sentBytes = 0;
  /** Called once when the connection falls too far behind. */
  onTooSlow: (why: string) => void = () => {};
  /** Called with every flushed byte count (metrics). */
  onSent: (bytes: number) => void = () => {};
  /** Lengths of the writes not completed yet, oldest first (a socket completes writes in order). */
  private readonly writeLengths: number[] = [];
  /** The one completion callback of every write (no closure per write on the hot path). */
  private readonly afterWrite = (error?: Error | null): void => {
    this.written(this.writeLengths.shift() ?? 0, error);
  };

  constructor(
    private readonly sink: Sink,
    private readonly scheduler: WriteScheduler,
    private readonly limits: OutboxLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastProgress = now();
  }

  /** Bytes waiting (unsent messages, the unsent rest of the current one, and unflushed writes). */
  get pendingBytes(): number {
    return this.queued + this.inflight;
  }

  /** Most bytes handed to the socket and not yet flushed (a message bigger than it goes alone). */
  get windowBytes(): number {
    return this.limits.windowBytes;
  }

  /** Bytes handed to the socket are not all flushed yet. */
  get writing(): boolean {
    return this.inflight > 0;
  }

  /** Messages waiting to be sent. */
  get pendingMessages(): number {
    return this.control.length + this.bulk.length + (this.current ? 1 : 0);
  }

  /** True when nothing is queued or unflushed. */
  get idle(): boolean {
    return this.pendingBytes === 0 && this.current === null;
  }

  /**
   * Queues a message. A lazy payload (a function) is encoded only when its turn comes, so that a
   * burst of requested chunks costs nothing until it is written; `size` is then its estimate.
   */
  send(payload: Sendable, options: SendOptions = {}, size?: number): void {
    if (this.closed || this.closing) return;
    const bytes =
      size ?? ('frame' in payload ? payload.frame.length : 'wire' in payload ? payload.wire.length : 0);
    const bulk = options.bulk ?? false;
    if (this.idle) this.lastProgress = this.now();
    if (options.key !== undefined) this.dropKey(options.key);
    (bulk ? this.bulk : this.control).push({ payload, size: bytes, key: options.key, bulk });
    this.queued += bytes;
    if (this.pendingBytes > this.limits.maxQueuedBytes) {
      this.onTooSlow(
        `send queue of ${this.pendingBytes} bytes is over the limit of ${this.limits.maxQueuedBytes}`,
      );
      return;
    }
    this.pump();
  }

  /**
   * Queues what `fill` sends, then writes it together: one corked write of many messages (a
   * `blob.get`'s runs of chunks), rather than one system call each.
   */
  batch(fill: () => void): void {
    if (this.pumping) return fill();
    this.pumping = true;
    try {
      fill();
    } finally {
      this.pumping = false;
    }
    this.pump();
  }

  /** True when an unsent message with this key is queued. */
  hasQueued(key: string): boolean {
    return this.control.some((i) => i.key === key) || this.bulk.some((i) => i.key === key);
  }

  private dropKey(key: string): void {
    // Most sends find both queues empty (a release to an idle connection): nothing to look through.
    if (this.control.length > 0) this.dropKeyIn(this.control, key);
    if (this.bulk.length > 0) this.dropKeyIn(this.bulk, key);
  }

  private dropKeyIn(list: Item[], key: string): void {
    for (let at = 0; at < list.length; at++) {
      if (list[at]!.key !== key) continue;
      this.queued -= list[at]!.size;
      list.splice(at, 1);
      return;
    }
  }

  /**
   * Counts the kernel taking part of a write as progress: a 5 MB write to a reader that keeps up
   * slowly completes only after seconds, and without this the scheduler would call it stalled and
   * hand its slot to the next — every socket filling at once, which slow readers take worst.
   */
  observeProgress(): void {
    const unflushed = this.sink.unflushedBytes?.();
    if (unflushed === undefined) return;
    if (unflushed < this.lastUnflushed) this.lastProgress = this.now();
    this.lastUnflushed = unflushed;
  }

  /** Too far behind? Called by the hub's liveness sweep. */
  checkStall(): void {
    if (this.closed || this.idle) return;
    this.observeProgress();
    // Waiting in line for a write slot, with nothing unflushed, is the relay's doing, not the client's.
    if (this.waitingForSlot()) return;
    const quiet = this.now() - this.lastProgress;
    if (quiet > this.limits.dropAfterMs) {
      this.onTooSlow(
        `no progress sending for ${Math.round(quiet)} ms with ${this.pendingBytes} bytes queued`,
      );
    }
  }

  /** Only bulk bytes wait, for a slot this connection does not hold, and nothing is unflushed. */
  private waitingForSlot(): boolean {
    const onlyBulk = this.control.length === 0 && (this.current === null || this.current.bulk);
    return !this.hasSlot && !this.closing && this.inflight === 0 && onlyBulk;
  }

  granted(): void {
    this.hasSlot = true;
    this.lastProgress = this.now();
    this.pump();
  }

  revoked(): void {
    this.hasSlot = false;
  }

  private wantSlot(): void {
    if (!this.hasSlot && !this.closing) this.scheduler.request(this);
  }

  private mayWriteBulk(): boolean {
    return this.hasSlot || this.closing;
  }

  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    // Bulk bytes go in batches: a refill starts only once half the window has flushed, and then fills
    // it (never past it), in one corked write that carries many chunk frames (one system call, not
    // one per frame).
    let refilling = false;
    let corked = false;
    try {
      while (this.inflight < this.limits.windowBytes) {
        if (!this.current) {
          let item = this.control.shift();
          if (!item && this.bulk.length > 0) {
            // The scheduler may grant at once, from inside this call.
            if (!this.mayWriteBulk()) this.wantSlot();
            if (!this.mayWriteBulk()) break;
            refilling ||= this.inflight <= this.limits.windowBytes / 2;
            if (!refilling || this.overfills(this.bulk[0]!.size)) break;
            item = this.bulk.shift();
          }
          if (!item) break;
          this.queued -= item.size;
          const bytes = this.bytesOf(item.payload);
          this.queued += bytes.length;
          this.current = { bytes, offset: 0, bulk: item.bulk };
        } else if (this.current.bulk) {
          if (!this.mayWriteBulk()) this.wantSlot();
          if (!this.mayWriteBulk()) break;
          refilling ||= this.inflight <= this.limits.windowBytes / 2;
          const rest = this.current.bytes.length - this.current.offset;
          if (!refilling || this.overfills(Math.min(rest, this.sink.sliceBytes))) break;
        }
        const cur = this.current;
        const whole = cur.offset === 0 && cur.bytes.length <= this.sink.sliceBytes;
        const piece = whole ? cur.bytes : cur.bytes.subarray(cur.offset, cur.offset + this.sink.sliceBytes);
        cur.offset += piece.length;
        if (cur.offset >= cur.bytes.length) this.current = null;
        this.queued -= piece.length;
        this.inflight += piece.length;
        this.writeLengths.push(piece.length);
        // Held and sent together when more may follow; a lone message (most pumps write one: a release,
        // a small chunk) goes as it is, since a corked write of one buffer takes the slower path.
        const more = this.current !== null || this.control.length > 0 || this.bulk.length > 0;
        if (!corked && more) {
          corked = true;
          this.sink.cork?.();
        }
        this.sink.write(piece, this.afterWrite);
      }
      // The slot is held until the bulk bytes are flushed, so "N at a time" means N sockets filling.
      if (this.hasSlot && this.bulk.length === 0 && this.current?.bulk !== true && this.inflight === 0) {
        this.hasSlot = false;
        this.scheduler.release(this);
      }
    } finally {
      if (corked) this.sink.uncork?.();
      this.pumping = false;
    }
    if (this.hasSlot) this.lastUnflushed = this.sink.unflushedBytes?.() ?? 0;
  }

  /**
   * Would `bytes` more of bulk take the unflushed bytes past the window? A piece bigger than the
   * window goes alone, on an empty one. (Without this, a second run of chunk frames just under the
   * window joined the first: nearly twice the window per turn.)
   */
  private overfills(bytes: number): boolean {
    return this.inflight > 0 && this.inflight + bytes > this.limits.windowBytes;
  }

  /** The bytes of a queued message on this connection's wire. */
  private bytesOf(item: Sendable): Uint8Array {
    if (typeof item === 'function') return this.sink.framing.bytesOf(item());
    if ('encode' in item) return this.sink.framing.bytesOf(item.encode());
    if ('wire' in item) return item.wire;
    return this.sink.framing.bytesOf(item);
  }

  private written(bytes: number, error?: Error | null): void {
    this.inflight -= bytes;
    if (error) return;
    this.lastProgress = this.now();
    this.sentBytes += bytes;
    this.onSent(bytes);
    if (this.inflight === 0 && !this.hasSlot) this.scheduler.flushed(this);
    if (this.idle) this.wakeDrainWaiters();
    // Nothing left: the slot goes back now. Else the next window waits for this connection's turn (a
    // stalled holder lost its slot; progress puts it back in line: pump asks for one).
    if (this.idle) this.pump();
    else this.scheduler.nextTurn(this);
  }

  turn(): void {
    this.pump();
  }

  /**
   * Drops every unsent message, lets a half-written one complete (the framing must stay intact),
   * queues `last` (an error frame) and resolves once everything is flushed. The caller bounds the
   * wait: a peer that does not read never lets it resolve.
   */
  finish(last: Payload | null): Promise<void> {
    if (this.closed || this.closing) return Promise.resolve();
    this.closing = true;
    this.control.length = 0;
    this.bulk.length = 0;
    this.queued = this.current ? this.current.bytes.length - this.current.offset : 0;
    if (last) {
      this.control.push({ payload: last, size: last.frame.length, key: undefined, bulk: false });
      this.queued += last.frame.length;
    }
    this.leave();
    const flushed = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.pump();
    if (this.idle) this.wakeDrainWaiters();
    return flushed;
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Stops for good: frees the slot and forgets the queue. */
  close(): void {
    this.closed = true;
    this.control.length = 0;
    this.bulk.length = 0;
    this.leave();
    this.wakeDrainWaiters();
  }

  /** Out of the scheduler for good: the connection is ending (its end says nothing of its reader). */
  private leave(): void {
    this.hasSlot = false;
    this.scheduler.leave(this);
  }
}
