/**
 * The hub's live connections: admission (the global and per-address limits), liveness (a hello
 * within its time, then a word at least every few heartbeat intervals, and a send queue that keeps
 * moving), and the two ways of saying no — a non-fatal `error`, or an `error` and then a close —
 * without disturbing anybody else.
 */
import { ErrorCode, restartSpread, type ErrorCode as Code, type Transport } from '../../protocol/index.ts';
import type { Metrics } from '../metrics.ts';
import { Conn, closeCodeOf, type Wire } from './conn.ts';
import type { WriteScheduler } from './fanout.ts';
import type { HubOptions } from './options.ts';
import { Outbox } from './outbox.ts';
import { errorPayload } from './payloads.ts';

/** The `performance.now()` clock the hub's timings use. */
export const now = (): number => performance.now();

/** Every live connection of one hub. */
export class Connections {
  private readonly all = new Set<Conn>();
  private readonly perIp = new Map<string, number>();
  private readonly sweepTimer: ReturnType<typeof setInterval>;
  private nextId = 1;

  constructor(
    private readonly options: HubOptions,
    private readonly metrics: Metrics,
    private readonly scheduler: WriteScheduler,
    /** Told about each connection that leaves (to take it out of its room). */
    private readonly onLeave: (conn: Conn) => void,
  ) {
    const every = Math.max(20, Math.min(1000, options.heartbeatMs / 4, options.helloTimeoutMs / 4));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  /** Live connections. */
  get size(): number {
    return this.all.size;
  }

  /** Admits a new connection; over a limit, it is told so and closed. */
  admit(wire: Wire): Conn {
    const outbox = new Outbox(wire, this.scheduler, this.options.outbox);
    const conn = new Conn(this.nextId++, wire, outbox, now());
    outbox.onTooSlow = (why) => this.fail(conn, ErrorCode.TOO_SLOW, why);
    outbox.onSent = (bytes) => this.metrics.countBytesSent(wire.transport, bytes);
    this.all.add(conn);
    const fromIp = (this.perIp.get(wire.address) ?? 0) + 1;
    this.perIp.set(wire.address, fromIp);
    this.metrics.connections.inc({ transport: wire.transport });
    this.metrics.connectionsTotal.inc({ transport: wire.transport });
    if (this.all.size > this.options.maxConnections) {
      this.fail(conn, ErrorCode.TOO_MANY_CONNECTIONS, 'the relay is at its connection limit');
    } else if (fromIp > this.options.maxConnectionsPerIp) {
      this.fail(conn, ErrorCode.TOO_MANY_CONNECTIONS, `too many connections from ${wire.address}`);
    }
    return conn;
  }

  /** Counts a connection under another transport (a TCP client that speaks the seed protocol). */
  retag(conn: Conn, transport: Transport): void {
    if (conn.wire.transport === transport) return;
    this.metrics.connections.dec({ transport: conn.wire.transport });
    conn.wire.transport = transport;
    this.metrics.connections.inc({ transport });
  }

  /** The transport's socket is gone. */
  closed(conn: Conn): void {
    if (conn.state === 'closed') return;
    const wasLive = this.all.delete(conn);
    conn.state = 'closed';
    conn.outbox.close();
    if (!wasLive) return;
    const ip = conn.wire.address;
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, left);
    this.metrics.connections.dec({ transport: conn.wire.transport });
    this.onLeave(conn);
  }

  /** Sends a fatal error (with a retry hint, if given), then closes (forcibly after the grace time). */
  fail(conn: Conn, code: Code, message: string, retryAfterMs?: number, retrySpreadMs?: number): void {
    if (!conn.live) return;
    conn.state = 'closing';
    this.metrics.dropped.inc({ code });
    const closeCode = closeCodeOf(code);
    const grace = setTimeout(() => conn.wire.destroy(), this.options.closeGraceMs);
    grace.unref();
    const error = errorPayload(code, message, true, retryAfterMs, retrySpreadMs);
    void conn.outbox.finish(error).then(() => {
      if (conn.state !== 'closed') conn.wire.end(closeCode, message);
    });
  }

  /** Refuses a message: a non-fatal `error`, or a fatal one before hello or past the budget. */
  refuse(conn: Conn, code: Code, message: string, fatal: boolean): void {
    this.metrics.refusals.inc({ code, source: 'socket' });
    if (fatal || conn.state === 'pending') return this.fail(conn, code, message);
    if (++conn.badMessages > this.options.badMessageBudget) {
      return this.fail(conn, code, `${message} (too many bad messages, closing)`);
    }
    conn.outbox.send(errorPayload(code, message, false));
  }

  /** Drops what said no hello in time, what went silent, and checks every send queue for a stall. */
  private sweep(): void {
    const t = now();
    for (const conn of this.all) {
      if (conn.state === 'pending' && t - conn.openedAt > this.options.helloTimeoutMs) {
        this.fail(conn, ErrorCode.HELLO_TIMEOUT, `no hello within ${this.options.helloTimeoutMs} ms`);
        continue;
      }
      if (conn.state === 'open') {
        const interval = conn.session?.heartbeatMs ?? this.options.heartbeatMs;
        const limit = interval * this.options.heartbeatMisses;
        if (t - conn.lastSeen > limit) {
          this.fail(conn, ErrorCode.HEARTBEAT_TIMEOUT, `silent for more than ${limit} ms`);
          continue;
        }
      }
      conn.outbox.checkStall();
    }
  }

  /**
   * Closes every connection with `SERVER_SHUTDOWN` and stops the sweep; with `retryAfterMs`, says
   * when to come back and over how long the clients should spread (by their number: `restartSpread`).
   */
  close(retryAfterMs?: number): void {
    clearInterval(this.sweepTimer);
    const spread = retryAfterMs === undefined ? undefined : restartSpread(this.all.size);
    const why =
      retryAfterMs === undefined
        ? 'the relay is shutting down'
        : `the relay is restarting: come back in ${retryAfterMs} ms (spread over ${spread} ms)`;
    for (const conn of [...this.all]) this.fail(conn, ErrorCode.SERVER_SHUTDOWN, why, retryAfterMs, spread);
  }
}
