/**
 * Bounded time to send a request: a client gets `headerTimeoutMs` to send its headers and
 * `bodyTimeoutMs` to send the whole request, body included; past either, Node's HTTP server answers
 * 408 and closes the connection (a check runs every {@link timeoutCheckIntervalMs}, the slack on
 * top). Without them a client that sends a byte now and then holds a connection for minutes, and a
 * few hundred of them hold the relay's file descriptors. WebSocket connections are not affected: the
 * timeouts end with the upgrade request. Each refusal is counted in `/metrics`
 * (`patchcast_refusals_total{code="REQUEST_TIMEOUT",source="http-headers"|"http-body"}`) and logged,
 * a line a minute at most.
 */
import type { IncomingMessage, Server, ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '../../protocol/index.ts';
import type { Metrics } from '../metrics.ts';

/** Default time for a client to send a request's headers. */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
/** Default time for a client to send a whole request (a 64 MiB publish at 1 MB/s fits). */
export const DEFAULT_BODY_TIMEOUT_MS = 120_000;
/** The longest pause between two checks for connections past a timeout. */
export const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1_000;
const LOG_EVERY_MS = 60_000;

/** The two timeouts, in milliseconds. */
export interface HttpTimeouts {
  readonly headerTimeoutMs: number;
  readonly bodyTimeoutMs: number;
}

/** How often to look for connections past a timeout: often enough that the slack stays small. */
export function timeoutCheckIntervalMs(timeouts: HttpTimeouts): number {
  const shortest = Math.min(timeouts.headerTimeoutMs, timeouts.bodyTimeoutMs);
  return Math.max(25, Math.min(MAX_TIMEOUT_CHECK_INTERVAL_MS, Math.floor(shortest / 4)));
}

/** Options of `http.createServer` that enforce the timeouts. */
export function httpServerOptions(timeouts: HttpTimeouts): ServerOptions {
  return {
    headersTimeout: timeouts.headerTimeoutMs,
    // Node requires the whole-request timeout to be at least the headers one.
    requestTimeout: Math.max(timeouts.bodyTimeoutMs, timeouts.headerTimeoutMs),
    connectionsCheckingInterval: timeoutCheckIntervalMs(timeouts),
  };
}

/** Node's own answers to a client error (what it sends when nobody listens for `clientError`). */
function answerOf(code: string | undefined): string {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';
    case 'HPE_HEADER_OVERFLOW':
      return 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n';
    default:
      return 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
  }
}

/**
 * Counts and logs the timeouts of `server` (created with {@link httpServerOptions}), telling a
 * client that never finished its headers from one that never finished its body.
 */
export function watchHttpTimeouts(
  server: Server,
  timeouts: HttpTimeouts,
  metrics: Metrics,
  log: (message: string) => void,
): void {
  // The request a connection is on, once its headers are in.
  const current = new WeakMap<Duplex, IncomingMessage>();
  server.on('request', (req: IncomingMessage) => current.set(req.socket, req));
  let lastLog = -Infinity;
  let unlogged = 0;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      const req = current.get(socket);
      const inBody = req !== undefined && !req.complete;
      metrics.refusals.inc({
        code: ErrorCode.REQUEST_TIMEOUT,
        source: inBody ? 'http-body' : 'http-headers',
      });
      const now = Date.now();
      if (now - lastLog >= LOG_EVERY_MS) {
        const what = inBody
          ? `its request within ${timeouts.bodyTimeoutMs} ms (--body-timeout)`
          : `its headers within ${timeouts.headerTimeoutMs} ms (--header-timeout)`;
        const more = unlogged > 0 ? `; ${unlogged} more since the last line` : '';
        log(`http: ${ErrorCode.REQUEST_TIMEOUT}: closed a connection that did not send ${what}${more}`);
        lastLog = now;
        unlogged = 0;
      } else unlogged++;
    }
    const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !response?.headersSent) socket.write(answerOf(error.code));
    socket.destroy(error);
  });
}
