/**
 * A simulated network for the swarm: a virtual clock (discrete events), nodes with a shared uplink,
 * links with latency, and a relay with its own uplink and the real deferral policy. The swarm code
 * that runs on it is the production code; only time and wires are simulated.
 */
import { createHash } from 'node:crypto';
import type { Hasher } from '../../protocol/blobs.ts';
import type { Clock, TimerHandle } from '../../player/swarm/clock.ts';
import type { PeerLink, PeerLinkHandlers } from '../../player/swarm/peer.ts';
import { DeferralPolicy, mayDeferTo } from '../../signaling/hub/deferral.ts';
import type { RelayAnswer, RelaySource } from '../../player/swarm/swarm.ts';

interface Event {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A binary min-heap of events by (time, insertion order). */
class EventQueue {
  private readonly heap: Event[] = [];
  get size(): number {
    return this.heap.length;
  }
  push(e: Event): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
  pop(): Event | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
  peek(): Event | undefined {
    return this.heap[0];
  }
}

function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

const flushMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Virtual time: `setTimeout` schedules an event; `run` plays events in order. */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly queue = new EventQueue();
  /** Events played so far. */
  events = 0;

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const event: Event = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.queue.push(event);
    return event;
  }

  clearTimeout(handle: TimerHandle): void {
    if (handle && typeof handle === 'object' && 'cancelled' in handle) (handle as Event).cancelled = true;
  }

  /** Plays events until `done()` or the queue empties or virtual time passes `untilMs`. */
  async run(done: () => boolean, untilMs: number): Promise<void> {
    while (!done()) {
      const event = this.queue.pop();
      if (!event || event.at > untilMs) break;
      if (event.cancelled) continue;
      this.t = event.at;
      this.events++;
      event.fn();
      // Let promise continuations (hash checks) run before time moves on.
      if (this.queue.peek()?.at !== this.t) await flushMicrotasks();
    }
    await flushMicrotasks();
  }
}

/** SHA-256 that resolves at once (node:crypto), so verification costs no virtual time. */
export const syncHasher: Hasher = (bytes) =>
  Promise.resolve(createHash('sha256').update(bytes).digest('hex'));

/** A node's uplink: everything it sends is serialized through it at `bytesPerMs`. */
export class Uplink {
  private busyUntil = 0;
  constructor(
    private readonly clock: VirtualClock,
    readonly bytesPerMs: number,
  ) {}

  /** Reserves transmission for `bytes`; returns when the last byte leaves. */
  transmit(bytes: number): number {
    const start = Math.max(this.clock.now(), this.busyUntil);
    this.busyUntil = start + bytes / this.bytesPerMs;
    return this.busyUntil;
  }
}

/** One direction-pair of a simulated data channel between two nodes. */
export class SimLink implements PeerLink {
  private handlers: PeerLinkHandlers | null = null;
  private other: SimLink | null = null;
  private open = true;
  private buffered = 0;
  /** Bytes this end sent. */
  sentBytes = 0;

  constructor(
    readonly id: string,
    private readonly clock: VirtualClock,
    private readonly uplink: Uplink,
    private readonly latencyMs: number,
    private readonly lowWater = 256 * 1024,
  ) {}

  /** Joins two ends. */
  static pair(
    clock: VirtualClock,
    a: { id: string; uplink: Uplink },
    b: { id: string; uplink: Uplink },
    latencyMs: number,
  ): [SimLink, SimLink] {
    const ab = new SimLink(b.id, clock, a.uplink, latencyMs); // a's end, pointing at b
    const ba = new SimLink(a.id, clock, b.uplink, latencyMs);
    ab.other = ba;
    ba.other = ab;
    return [ab, ba];
  }

  attach(handlers: PeerLinkHandlers): void {
    this.handlers = handlers;
  }

  bufferedAmount(): number {
    return this.buffered;
  }

  send(data: string | Uint8Array): void {
    if (!this.open) throw new Error('link closed');
    const size = typeof data === 'string' ? data.length : data.length;
    this.buffered += size;
    this.sentBytes += size;
    const leaves = this.uplink.transmit(size);
    this.clock.setTimeout(() => {
      this.buffered -= size;
      if (this.buffered <= this.lowWater) this.handlers?.drain();
    }, leaves - this.clock.now());
    this.clock.setTimeout(
      () => {
        if (this.open && this.other?.open) this.other.handlers?.message(data);
      },
      leaves - this.clock.now() + this.latencyMs,
    );
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    const other = this.other;
    this.handlers?.close();
    if (other?.open) this.clock.setTimeout(() => other.close(), this.latencyMs);
  }
}

/** The relay, simulated: its own uplink and latency, the real {@link DeferralPolicy}. */
export class SimRelay {
  readonly policy: DeferralPolicy;
  private readonly uplink: Uplink;
  /** Chunk bytes the relay sent. */
  bytesSent = 0;
  requests = 0;
  deferred = 0;
  /** `swarm.starved` messages heard (either way). */
  starvedSignals = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly blobs: Map<string, { bytes: Uint8Array; chunkSize: number; chunks: number }>,
    opts: { bytesPerMs: number; latencyMs: number; holdMs?: number },
  ) {
    this.uplink = new Uplink(clock, opts.bytesPerMs);
    this.latency = opts.latencyMs;
    this.policy = new DeferralPolicy({
      clock,
      ...(opts.holdMs === undefined ? {} : { holdMs: opts.holdMs }),
    });
  }
  private readonly latency: number;

  /**
   * A client's view of the relay. Like the relay's connection, it keeps the client's `swarm.starved`
   * flag: a starved client's requests are never deferred.
   */
  sourceFor(isAlive: () => boolean): RelaySource {
    let starved = false;
    return {
      starved: (on) => {
        this.starvedSignals++;
        this.clock.setTimeout(() => (starved = on), this.latency);
      },
      getChunk: (sha256, index, mayDefer) =>
        new Promise<RelayAnswer>((resolve) => {
          this.requests++;
          // request travels to the relay
          this.clock.setTimeout(() => {
            if (!isAlive()) return;
            const blob = this.blobs.get(sha256);
            if (!blob) return resolve({ kind: 'error', message: 'no such blob' });
            const decision = this.policy.decide(sha256, blob.chunks, index, mayDeferTo(mayDefer, starved));
            if (!decision.serve) {
              this.deferred++;
              this.clock.setTimeout(
                () => resolve({ kind: 'deferred', retryAfterMs: decision.retryAfterMs }),
                this.latency,
              );
              return;
            }
            const bytes = blob.bytes.subarray(index * blob.chunkSize, (index + 1) * blob.chunkSize);
            this.bytesSent += bytes.length;
            const leaves = this.uplink.transmit(bytes.length);
            this.clock.setTimeout(
              () => resolve({ kind: 'chunk', bytes }),
              leaves - this.clock.now() + this.latency,
            );
          }, this.latency);
        }),
    };
  }
}
