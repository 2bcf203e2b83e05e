/**
 * The dashboard's live line to the relay: a WebSocket to `/ws` that says `hello` as an admin, signs
 * the welcome's challenge with the room key the site holds (the relay shows the roster only to a key
 * the room trusts), keeps
 * a heartbeat, hands every validated `roster` message to the page, and reconnects with exponential
 * backoff and jitter. No polling: the relay pushes the whole roster on every change.
 */
import { parseMessage, PROTOCOL_VERSION, signRosterChallenge, type Roster } from '../../protocol/messages.ts';
import type { SigningKey } from '../../protocol/crypto.ts';
import { HEARTBEAT_INTERVAL_MS } from '../../protocol/limits.ts';
import { backoffDelay } from '../../protocol/backoff.ts';

/** The state of the line, for the page to show. */
export type SocketState =
  | { readonly kind: 'connecting'; readonly attempt: number }
  | { readonly kind: 'open'; readonly clientId: string }
  | { readonly kind: 'waiting'; readonly retryInMs: number; readonly reason: string }
  | { readonly kind: 'closed' };

/** What {@link openRosterSocket} needs. */
export interface RosterSocketOptions {
  readonly url: string;
  readonly room: string;
  /** A key of the room: it signs the relay's roster challenge. */
  readonly key: SigningKey;
  readonly onRoster: (roster: Roster) => void;
  readonly onState: (state: SocketState) => void;
  /** Relay `error` messages, already validated. */
  readonly onError?: (code: string, message: string) => void;
  readonly createSocket?: (url: string) => WebSocket;
  readonly random?: () => number;
}

/** Opens the line; returns a function that closes it for good. */
export function openRosterSocket(options: RosterSocketOptions): () => void {
  const create = options.createSocket ?? ((url: string) => new WebSocket(url));
  const random = options.random ?? Math.random;
  const clientId = `admin-${Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  let attempt = 0;
  let stopped = false;
  let socket: WebSocket | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let beatTimer: ReturnType<typeof setInterval> | undefined;

  const connect = () => {
    attempt++;
    options.onState({ kind: 'connecting', attempt });
    const ws = create(options.url);
    socket = ws;
    ws.addEventListener('open', () => {
      ws.send(
        JSON.stringify({
          type: 'hello',
          v: PROTOCOL_VERSION,
          room: options.room,
          role: 'admin',
          clientId,
          seq: 0,
        }),
      );
    });
    ws.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') return;
      let json: unknown;
      try {
        json = JSON.parse(event.data);
      } catch {
        return;
      }
      const parsed = parseMessage(json);
      if (!parsed.ok) return;
      const msg = parsed.value;
      if (msg.type === 'welcome') {
        attempt = 0;
        options.onState({ kind: 'open', clientId: msg.clientId });
        clearInterval(beatTimer);
        if (msg.challenge !== undefined) {
          void signRosterChallenge(options.key, options.room, msg.challenge).then((auth) => {
            if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(auth));
          });
        }
        const every = Math.max(1000, Math.min(msg.heartbeatMs, HEARTBEAT_INTERVAL_MS));
        beatTimer = setInterval(() => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'heartbeat', t: Date.now() }));
        }, every);
      } else if (msg.type === 'roster' && msg.room === options.room) {
        options.onRoster(msg);
      } else if (msg.type === 'error') {
        options.onError?.(msg.code, msg.message);
      }
    });
    ws.addEventListener('close', (event) => {
      clearInterval(beatTimer);
      if (stopped || socket !== ws) return;
      const retryInMs = backoffDelay(attempt, {}, random);
      options.onState({ kind: 'waiting', retryInMs, reason: event.reason || `closed (${event.code})` });
      retryTimer = setTimeout(connect, retryInMs);
    });
  };

  connect();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    clearInterval(beatTimer);
    socket?.close(1000, 'dashboard closed');
    options.onState({ kind: 'closed' });
  };
}
