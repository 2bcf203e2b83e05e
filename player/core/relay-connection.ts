/**
 * The patch client's connection to the relay, kept up: one transport at a time, `hello` on open,
 * heartbeats and the liveness check (`liveness.ts`), reconnecting with backoff and jitter after any
 * close — or, when the relay said it is restarting and when to come back, at that time and often
 * after it (`restartDelay`) — and a new `hello` when the peer id to announce changed. What the relay's messages mean is
 * the client's business.
 */
import { CloseCode, ErrorCode } from '../../protocol/errors.ts';
import { HEARTBEAT_INTERVAL_MS } from '../../protocol/limits.ts';
import { MessageType, type Hello, type Message } from '../../protocol/messages.ts';
import { backoffDelay, restartDelay, type BackoffOptions } from '../../protocol/backoff.ts';
import { Liveness, SILENT_TICKS } from './liveness.ts';
import { FAILOVER_JITTER_MS, RelayList } from './relay-list.ts';
import type { CloseInfo, ConnectTransport, PatchTransport, Traffic } from './transport.ts';

/** Options of {@link RelayConnection}. */
export interface RelayConnectionOptions {
  /** How to reach the relay; several addresses: the next one when the current one dies (`relay-list.ts`). */
  readonly connect: ConnectTransport | readonly ConnectTransport[];
  /** The `hello` to say on open (it tells what the player holds then), announcing `peerId`. */
  readonly hello: (peerId: string | undefined) => Hello;
  /** The peer id to announce, if any (the swarm's). */
  readonly peerId?: () => string | undefined;
  /** Every message from the relay (`welcome` after the connection's own bookkeeping). */
  readonly message: (message: Message) => void;
  /** Something went wrong that the player should show. */
  readonly error: (text: string) => void;
  /** The connection came up (welcome) or went down. */
  readonly changed: () => void;
  /** The counters heartbeats carry. */
  readonly traffic: () => Traffic;
  /** A connection closed (or could not open); the next dial is in `retryInMs` (null: closed for good). */
  readonly closed?: (info: CloseInfo, retryInMs: number | null) => void;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
}

/** See the file comment. */
export class RelayConnection {
  private readonly options: RelayConnectionOptions;
  private transport: PatchTransport | null = null;
  private welcomedNow = false;
  /** The peer id said in the last `hello` on this connection (null: no hello yet). */
  private announcedPeerId: string | undefined | null = null;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private liveness = new Liveness();
  private closed = false;
  /** The relay's last "restarting, come back in …" (`Date.now()` when heard), until a `welcome`. */
  private restart: {
    readonly hintMs: number;
    readonly spreadMs: number | undefined;
    readonly at: number;
    attempt: number;
  } | null = null;

  private readonly relays: RelayList;

  constructor(options: RelayConnectionOptions) {
    this.options = options;
    this.relays = new RelayList(options.connect);
  }

  /** Which of the relay addresses is in use (0-based, in the order given). */
  get relayIndex(): number {
    return this.relays.current;
  }

  /** True between the relay's `welcome` and the connection's close. */
  get welcomed(): boolean {
    return this.welcomedNow;
  }

  /** Dials the relay (and again after every close, until {@link close}). */
  start(): void {
    if (this.closed) return;
    this.transport = this.relays.connect({
      open: () => {
        const peerId = this.options.peerId?.();
        this.announcedPeerId = peerId;
        this.send(this.options.hello(peerId));
        this.startHeartbeat(HEARTBEAT_INTERVAL_MS); // until `welcome` says the relay's interval
      },
      message: (message) => {
        this.liveness.heard();
        if (message.type === MessageType.welcome) {
          this.welcomedNow = true;
          this.attempt = 0;
          this.restart = null;
          this.relays.welcomed();
          this.startHeartbeat(message.heartbeatMs || HEARTBEAT_INTERVAL_MS);
        } else if (
          message.type === MessageType.error &&
          message.code === ErrorCode.SERVER_SHUTDOWN &&
          message.retryAfterMs !== undefined
        ) {
          this.restart = {
            hintMs: message.retryAfterMs,
            spreadMs: message.retrySpreadMs,
            at: Date.now(),
            attempt: 0,
          };
        }
        this.options.message(message);
      },
      invalid: (error) => {
        this.liveness.heard();
        this.options.error(`relay sent junk: ${error}`);
      },
      close: (info) => {
        this.transport = null;
        this.welcomedNow = false;
        this.announcedPeerId = null;
        clearInterval(this.heartbeatTimer);
        if (info.code !== 1000 && info.code !== 1005 && info.code !== CloseCode.REHELLO && info.reason)
          this.options.error(`relay closed: ${info.reason}`);
        this.options.changed();
        if (this.closed) {
          this.options.closed?.(info, null);
          return;
        }
        // A close of our own making to say hello again stays on this relay; anything else moves on.
        const moved = info.code !== CloseCode.REHELLO && this.relays.failed();
        const random = this.options.random ?? Math.random;
        const delay = moved ? Math.round(random() * FAILOVER_JITTER_MS) : this.nextDelay();
        this.reconnectTimer = setTimeout(() => this.start(), delay);
        this.options.closed?.(info, delay);
      },
    });
  }

  /** The wait before the next dial: the relay's restart hint while it holds, else the backoff. */
  private nextDelay(): number {
    const restart = this.restart;
    if (restart) {
      const delay = restartDelay(
        restart.hintMs,
        restart.attempt++,
        Date.now() - restart.at,
        this.options.random,
        restart.spreadMs,
      );
      if (delay !== null) return delay;
      this.restart = null;
    }
    return backoffDelay(this.attempt++, this.options.backoff, this.options.random);
  }

  /** Sends on the current connection; false when there is none (the message is dropped). */
  send(message: Message): boolean {
    return this.transport?.send(message) ?? false;
  }

  /**
   * The id `peerId` gives changed (the swarm failed, or works again): the relay lists the id said in
   * `hello` to other players and has no other way to hear of a new one, so: reconnect, hello again.
   */
  peerIdChanged(): void {
    if (this.announcedPeerId === null || this.options.peerId?.() === this.announcedPeerId) return;
    this.transport?.close(CloseCode.REHELLO, 'peer id changed');
  }

  /** Closes for good. */
  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    this.transport?.close(1000, 'player closed');
  }

  private startHeartbeat(intervalMs: number): void {
    clearInterval(this.heartbeatTimer);
    this.liveness = new Liveness();
    this.heartbeatTimer = setInterval(() => this.heartbeat(intervalMs), intervalMs);
  }

  /**
   * Every heartbeat interval: the heartbeat (once welcomed), and the check that the connection still
   * carries anything: one silent for {@link SILENT_TICKS} intervals is closed and dialled again.
   */
  private heartbeat(intervalMs: number): void {
    const verdict = this.liveness.tick();
    if (verdict === 'dead') {
      clearInterval(this.heartbeatTimer);
      this.transport?.close(
        CloseCode.RELAY_SILENT,
        `nothing from the relay for ${(SILENT_TICKS * intervalMs) / 1000} s`,
      );
      return;
    }
    if (!this.welcomedNow) return; // the hello is the question
    // A question the relay always answers: its answer says the connection works both ways.
    if (verdict === 'ask') this.send({ type: MessageType.peersGet });
    const { bytesFromRelay, bytesFromPeers, peers } = this.options.traffic();
    this.send({
      type: MessageType.heartbeat,
      t: Date.now(),
      traffic: { bytesFromRelay, bytesFromPeers, peers },
    });
  }
}
