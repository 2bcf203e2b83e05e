/**
 * One relay connection, whatever carries it. A transport (WebSocket, framed TCP, seed TCP) wraps its
 * socket in a {@link Wire} and feeds what it reads to the hub; the hub answers through the
 * connection's {@link Outbox}.
 */
import { CloseCode, ErrorCode, type Transport } from '../../protocol/index.ts';
import type { Outbox, Payload, Sink } from './outbox.ts';
import type { RosterEntry } from './roster.ts';

/** A transport's socket, as the hub sees it. */
export interface Wire extends Sink {
  /** Changes once, from `tcp` to `legacy-tcp`, when a TCP client turns out to speak the seed's protocol. */
  transport: Transport;
  /** Remote IP address. */
  readonly address: string;
  /** Remote port. */
  readonly port: number;
  /** Closes after what was written: a WebSocket close with this code, a TCP end. */
  end(code: CloseCode, reason: string): void;
  /** Closes now. */
  destroy(): void;
}

/** What a seed-protocol connection was last sent, to send `hot_update` only for what changed. */
export interface LegacySent {
  seq: number;
  script: string;
  background: string;
  scriptVersion: string;
  backgroundVersion: string;
}

/** A connection's life: waiting for its hello, open, closing (error sent), closed. */
export type ConnState = 'pending' | 'open' | 'closing' | 'closed';

/** One connection. */
export class Conn {
  state: ConnState = 'pending';
  /** Which protocol it speaks, known after its first message. */
  protocol: 'ours' | 'legacy' | null = null;
  /** Its roster entry, after hello. */
  entry: RosterEntry | null = null;
  /** Its PeerJS id, if it takes part in the swarm. */
  peerId: string | undefined;
  readonly openedAt: number;
  /** When it last sent anything (ms, `performance.now()` clock). */
  lastSeen: number;
  /** Bad messages tolerated so far after hello. */
  badMessages = 0;
  /** Estimated bytes of `blob.get` answers accepted but not queued yet (the blob is being read). */
  blobBytesPending = 0;
  /** The last `peers` answer drawn for it and when (`peers.get` draws at most one per interval). */
  lastPeers: { readonly at: number; readonly payload: Payload } | null = null;
  /** Seed-protocol state. */
  legacySent: LegacySent | null = null;
  /** Serializes the seed-protocol updates of this connection. */
  legacyChain: Promise<void> = Promise.resolve();

  constructor(
    readonly id: number,
    readonly wire: Wire,
    readonly outbox: Outbox,
    now: number,
  ) {
    this.openedAt = now;
    this.lastSeen = now;
  }

  /** The room, after hello. */
  get room(): string | null {
    return this.entry?.room ?? null;
  }

  /** True while messages may be sent and received. */
  get live(): boolean {
    return this.state === 'pending' || this.state === 'open';
  }
}

/** The WebSocket close code that goes with an error code. */
export function closeCodeOf(code: ErrorCode): CloseCode {
  switch (code) {
    case ErrorCode.FRAME_TOO_LARGE:
      return CloseCode.FRAME_TOO_LARGE;
    case ErrorCode.HELLO_TIMEOUT:
      return CloseCode.HELLO_TIMEOUT;
    case ErrorCode.HEARTBEAT_TIMEOUT:
      return CloseCode.HEARTBEAT_TIMEOUT;
    case ErrorCode.TOO_SLOW:
      return CloseCode.TOO_SLOW;
    case ErrorCode.TOO_MANY_CONNECTIONS:
      return CloseCode.TOO_MANY_CONNECTIONS;
    case ErrorCode.FORBIDDEN:
      return CloseCode.FORBIDDEN;
    case ErrorCode.SERVER_SHUTDOWN:
      return CloseCode.GOING_AWAY;
    case ErrorCode.INTERNAL:
      return CloseCode.INTERNAL;
    default:
      return CloseCode.BAD_MESSAGE;
  }
}
