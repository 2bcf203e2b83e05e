/**
 * Prometheus metrics (`GET /metrics`) through prom-client, in a registry of our own so that two
 * servers in one process (tests, benchmarks) never share counters.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The metrics one server keeps. */
export class Metrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({
    name: 'patchcast_connections',
    help: 'Open relay connections, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly connectionsTotal = new Counter({
    name: 'patchcast_connections_total',
    help: 'Relay connections accepted since start, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly releasesPublished = new Counter({
    name: 'patchcast_releases_published_total',
    help: 'Releases accepted and stored',
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'patchcast_refusals_total',
    help: 'Refused publishes, rotations and socket messages, by error code and source',
    labelNames: ['code', 'source'] as const,
    registers: [this.registry],
  });
  /** Bytes flushed per transport and not yet added to {@link bytesSent} (see {@link countBytesSent}). */
  private readonly bytesSentPending = new Map<string, number>();
  readonly bytesSent = new Counter({
    name: 'patchcast_bytes_sent_total',
    help: 'Bytes flushed to relay connections, by transport',
    labelNames: ['transport'] as const,
    registers: [this.registry],
    collect: () => this.flushBytesSent(),
  });
  readonly acks = new Counter({
    name: 'patchcast_acks_total',
    help: 'Slot acks received, by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly dropped = new Counter({
    name: 'patchcast_connections_dropped_total',
    help: 'Connections closed by the relay, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly slotRevocations = new Counter({
    name: 'patchcast_fanout_slot_revocations_total',
    help: 'Write slots taken back from connections that stopped reading',
    registers: [this.registry],
  });
  /** PeerJS signaling sockets (`/peerjs`) admitted: players register there only once they want links. */
  readonly peerjsSocketsTotal = new Counter({
    name: 'patchcast_peerjs_sockets_total',
    help: 'PeerJS signaling sockets (/peerjs) admitted since start',
    registers: [this.registry],
  });

  /**
   * Counts bytes flushed to a connection. Called for every socket write, so it only adds to a
   * number; the counter takes the sum whenever it is read (a scrape, `bytesSent.get()`).
   */
  countBytesSent(transport: string, bytes: number): void {
    this.bytesSentPending.set(transport, (this.bytesSentPending.get(transport) ?? 0) + bytes);
  }

  private flushBytesSent(): void {
    for (const [transport, bytes] of this.bytesSentPending) this.bytesSent.inc({ transport }, bytes);
    this.bytesSentPending.clear();
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'patchcast_process_' });
  }

  /**
   * `patchcast_store_rooms{state}`: rooms of the data dir that are `ok`, `degraded` (a blob or a
   * release missing) or `quarantined` (damaged, not loaded), read through `read` at every scrape.
   */
  watchStore(read: () => { ok: number; degraded: number; quarantined: number }): void {
    new Gauge({
      name: 'patchcast_store_rooms',
      help: 'Rooms of the data dir by state: ok, degraded (a blob or release missing), quarantined (damaged)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const counts = read();
        this.set({ state: 'ok' }, counts.ok);
        this.set({ state: 'degraded' }, counts.degraded);
        this.set({ state: 'quarantined' }, counts.quarantined);
      },
    });
  }

  /** The text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content type of {@link text}. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
