/**
 * The Node adapter's relay connection over the framed TCP port: `[4-byte big-endian length][UTF-8
 * JSON]` each way (`protocol/frame.ts`), every inbound frame reassembled, size-capped and validated
 * before the client sees it. The same {@link ConnectTransport} contract as the WebSocket one.
 */
import { connect as netConnect } from 'node:net';
import { encodeFrame, FrameDecoder } from '../../protocol/frame.ts';
import { MAX_FRAME_BYTES } from '../../protocol/limits.ts';
import { parseMessage, type Message } from '../../protocol/messages.ts';
import type { ConnectTransport, PatchTransport, TransportHandlers } from '../core/transport.ts';

/** Options of {@link tcpTransport}. */
export interface TcpTransportOptions {
  /** Give up a connect that has not completed in this long (default 5 s). */
  readonly connectTimeoutMs?: number;
  /** Largest frame taken from the relay (default {@link MAX_FRAME_BYTES}). */
  readonly maxFrameBytes?: number;
}

/** A {@link ConnectTransport} for a relay's framed TCP port. */
export function tcpTransport(
  host: string,
  port: number,
  options: TcpTransportOptions = {},
): ConnectTransport {
  return (handlers: TransportHandlers): PatchTransport => {
    const socket = netConnect({ host, port, noDelay: true });
    const decoder = new FrameDecoder({ maxFrameBytes: options.maxFrameBytes ?? MAX_FRAME_BYTES });
    let open = false;
    let closed = false;
    let closeInfo = { code: 1006, reason: '' };
    const timer = setTimeout(
      () => socket.destroy(new Error(`connect to ${host}:${port} timed out`)),
      options.connectTimeoutMs ?? 5_000,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      open = true;
      if (!closed) handlers.open();
    });
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (closed) return;
        if (!frame.ok) {
          handlers.invalid(`${frame.code}: ${frame.message}`);
          if (frame.fatal) socket.destroy();
          continue;
        }
        const parsed = parseMessage(frame.value);
        if (parsed.ok) handlers.message(parsed.value, frame.bytes);
        else handlers.invalid(`${parsed.code}: ${parsed.message}`);
      }
    });
    socket.on('error', (error) => {
      closeInfo = { code: 1006, reason: open ? error.message : `cannot connect: ${error.message}` };
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (closed) return;
      closed = true;
      handlers.close(closeInfo.reason ? closeInfo : { code: 1006, reason: 'connection closed' });
    });
    return {
      send(message: Message): boolean {
        if (!open || closed || socket.destroyed) return false;
        socket.write(encodeFrame(message));
        return true;
      },
      close(code = 1000, reason = 'closed by the player') {
        if (closed) return;
        closed = true;
        clearTimeout(timer);
        // A graceful end, so that what was just written (the last acks of `play --once`) still
        // reaches the relay; a peer that doesn't finish the close in time is cut off.
        socket.end();
        setTimeout(() => socket.destroy(), 2_000).unref();
        handlers.close({ code, reason });
      },
    };
  };
}

/** Parses `HOST:PORT` (IPv6 in brackets: `[::1]:8788`), or null. */
export function parseHostPort(text: string): { readonly host: string; readonly port: number } | null {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65_535) return null;
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}
