/**
 * The hub's tunables and their defaults. The times every side must agree on (heartbeat interval and
 * misses, hello timeout, the seed client's heartbeat) come from `protocol/`; the rest is the relay's
 * own sizing.
 */
import {
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_MISSES,
  HELLO_TIMEOUT_MS,
  PUSH_BLOB_MAX_BYTES,
  SEED_HEARTBEAT_INTERVAL_MS,
} from '../../protocol/index.ts';
import { DEFAULT_STALL_MS, DEFAULT_WRITE_SLOTS, type SchedulerOptions } from './fanout.ts';
import type { OutboxLimits } from './outbox.ts';

/**
 * The largest frame the relay accepts from a client, by default: client messages are small (a chunk
 * request, an ack), and a frame header over it is refused before a body byte is buffered.
 */
export const DEFAULT_MAX_INBOUND_FRAME_BYTES = 1024 * 1024;

/**
 * Bytes handed to one connection's socket and not yet taken by the kernel, by default
 * (`--write-window-bytes`); the TCP port's write size too. Nothing is copied per connection: each is
 * handed views of the same framed buffers, so the window bounds what one write puts before the
 * kernel at once, not memory. A connection gets one window per turn (`WriteScheduler.nextTurn`), so
 * the window is also what each socket's receiver finds queued before the relay moves on. 8 MiB (a
 * 5 MB patch in one write per connection, as a bare server writes a file) put the kernel into TCP
 * memory pressure (`net.ipv4.tcp_mem`) in a 500-client seed fan-out; 2 MiB did not, but overflowed
 * the receivers' fresh buffers (zero-window advertisements) once turns spread the writes; with 1 MiB
 * turns the readers' kernel time fell by a third and both protocols' fan-outs to 0.7–0.8× the bare
 * server's (docs/server.md, "Fifteenth round"). Smaller windows cost the relay more writes for no
 * more speed.
 */
export const DEFAULT_WINDOW_BYTES = 1024 * 1024;

/** A connection's send queue past which it is dropped as too slow (`TOO_SLOW`), by default. */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/** Tunables of the hub. */
export interface HubOptions {
  readonly heartbeatMs: number;
  /** Heartbeat intervals a client may miss. */
  readonly heartbeatMisses: number;
  /** Heartbeat interval of seed-protocol clients (they beat every 10 s whatever we say). */
  readonly seedHeartbeatMs: number;
  readonly helloTimeoutMs: number;
  /**
   * The largest frame the relay accepts from a client, told to it in `welcome` (the transports
   * enforce it: `maxInboundFrameBytes` of the server).
   */
  readonly maxFrameBytes: number;
  /**
   * The room seed-protocol clients join (they name none), or null: then the relay refuses them with
   * `NO_SEED_ROOM`. Seed clients run its Python script unsandboxed, so only an operator names it.
   */
  readonly seedRoom: string | null;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  /** Bad messages tolerated after hello before the connection is closed. */
  readonly badMessageBudget: number;
  /** Least time between two rosters to a room's admins. */
  readonly rosterIntervalMs: number;
  /** How long a closing connection gets to flush its error frame. */
  readonly closeGraceMs: number;
  /** Least time between two fresh `peers` samples for one connection (others get the last one). */
  readonly peersIntervalMs: number;
  readonly outbox: OutboxLimits;
  readonly scheduler: SchedulerOptions;
  /**
   * The relay's blob egress limit in bytes per second (`--egress-limit`), or null for none: a token
   * bucket over blob chunks (`egress.ts`). Under it the relay serves swarm players at once.
   */
  readonly egressBytesPerSecond: number | null;
  /**
   * Blobs of at most this many bytes are pushed right behind their release to players that said
   * `pushBlobs` (`--push-max-bytes`; 0: none; `blob-push.ts`).
   */
  readonly pushBlobMaxBytes: number;
}

/** Defaults of {@link HubOptions}. */
export const DEFAULT_HUB_OPTIONS: HubOptions = {
  heartbeatMs: HEARTBEAT_INTERVAL_MS,
  heartbeatMisses: HEARTBEAT_MISSES,
  seedHeartbeatMs: SEED_HEARTBEAT_INTERVAL_MS,
  helloTimeoutMs: HELLO_TIMEOUT_MS,
  maxFrameBytes: DEFAULT_MAX_INBOUND_FRAME_BYTES,
  seedRoom: null,
  maxConnections: 20_000,
  maxConnectionsPerIp: 5_000,
  badMessageBudget: 10,
  rosterIntervalMs: 200,
  closeGraceMs: 2_000,
  peersIntervalMs: 1_000,
  outbox: {
    windowBytes: DEFAULT_WINDOW_BYTES,
    maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES,
    dropAfterMs: 30_000,
  },
  scheduler: { maxActive: DEFAULT_WRITE_SLOTS, stallMs: DEFAULT_STALL_MS },
  egressBytesPerSecond: null,
  pushBlobMaxBytes: PUSH_BLOB_MAX_BYTES,
};

/** Swarm peers suggested in `welcome`. */
export const WELCOME_PEERS = 32;
/** Swarm peers in a `peers` answer (the most the message may carry). */
export const PEERS_ANSWER_MAX = 64;
