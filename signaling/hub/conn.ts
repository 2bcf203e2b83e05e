/**
 * One relay connection, whatever carries it and whatever it speaks. A transport (WebSocket, framed
 * TCP, seed TCP) wraps its socket in a {@link Wire} and feeds what it reads to the hub; the hub
 * answers through the connection's {@link Outbox}. What the connection says is understood by its
 * {@link Session}: our protocol (`patch-session.ts`) or the seed protocol (`seed-session.ts`).
 */
import {
  CloseCode,
  ErrorCode,
  type DecodedFrame,
  type SignedRelease,
  type Transport,
} from '../../protocol/index.ts';
import type { SmallBlob } from './blob-push.ts';
import type { Outbox, Sink } from './outbox.ts';
import type { RosterEntry } from './roster.ts';

/** A transport's socket, as the hub sees it. */
export interface Wire extends Sink {
  /** Changes once, from `tcp` to `seed-tcp`, when a TCP client turns out to speak the seed protocol. */
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

/** A connection's protocol, and its state in that protocol. */
export interface Session {
  /** The heartbeat interval its client keeps: silence for `heartbeatMisses` of them drops it. */
  readonly heartbeatMs: number;
  /** A frame (or a frame error) from the client. */
  receive(frame: DecodedFrame): void;
  /**
   * A new release of the connection's room is durable: bring the client up to it (`small`: its small
   * blobs, read, for a client that takes them pushed).
   */
  announce(signed: SignedRelease, small?: readonly SmallBlob[]): void;
}

/** A connection's life: waiting for its hello, open, closing (error sent), closed. */
export type ConnState = 'pending' | 'open' | 'closing' | 'closed';

/** One connection. */
export class Conn {
  state: ConnState = 'pending';
  /** What it speaks, known from its first message. */
  session: Session | null = null;
  /** Its roster entry, after hello. */
  entry: RosterEntry | null = null;
  /** Its PeerJS id, if it takes part in the swarm (said in its hello). */
  peerId: string | undefined;
  /** It said `swarm.starved`: its peers give it nothing, so its chunk requests are never deferred. */
  swarmStarved = false;
  readonly openedAt: number;
  /** When it last sent anything (ms, `performance.now()` clock). */
  lastSeen: number;
  /** Bad messages tolerated so far after hello. */
  badMessages = 0;

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
    case ErrorCode.NO_SEED_ROOM:
      return CloseCode.FORBIDDEN;
    case ErrorCode.SERVER_SHUTDOWN:
      return CloseCode.GOING_AWAY;
    case ErrorCode.INTERNAL:
      return CloseCode.INTERNAL;
    default:
      return CloseCode.BAD_MESSAGE;
  }
}
