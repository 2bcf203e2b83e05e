/**
 * The relay over WebSocket (`/ws`): one text frame per message, each validated on arrival. The
 * constructor is the platform's: the browser's `WebSocket`, or the `ws` package's in Node.
 */
import { parseMessage, type Message } from '../../protocol/messages.ts';
import { MAX_FRAME_BYTES } from '../../protocol/limits.ts';
import { decodeBody, isBinaryChunkBody } from '../../protocol/frame.ts';
import type { ConnectTransport, PatchTransport, TransportHandlers } from './transport.ts';

/** The WebSocket constructor (the browser's, or `ws`'s in Node). */
export type WebSocketConstructor = new (url: string) => WebSocket;

/** A {@link ConnectTransport} for a relay's WebSocket endpoint. */
export function webSocketTransport(
  url: string,
  WebSocketImpl: WebSocketConstructor = globalThis.WebSocket,
): ConnectTransport {
  return (handlers: TransportHandlers): PatchTransport => {
    let closed = false;
    const finish = (code: number, reason: string) => {
      if (closed) return;
      closed = true;
      handlers.close({ code, reason });
    };
    let socket: WebSocket;
    try {
      socket = new WebSocketImpl(url);
    } catch (error) {
      queueMicrotask(() => finish(1006, `cannot connect: ${String(error)}`));
      return { send: () => false, close: () => finish(1000, 'closed') };
    }
    socket.onopen = () => {
      if (!closed) handlers.open();
    };
    // Binary messages are chunk frames (`protocol/frame.ts`); as ArrayBuffers in the browser and in `ws`.
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (event: MessageEvent<unknown>) => {
      if (closed) return;
      if (event.data instanceof ArrayBuffer) {
        const body = new Uint8Array(event.data);
        if (body.length > MAX_FRAME_BYTES) {
          handlers.invalid('frame over the size limit');
          return;
        }
        if (!isBinaryChunkBody(body)) {
          handlers.invalid('binary frame on the relay socket that is not a chunk frame');
          return;
        }
        const frame = decodeBody(body);
        const parsed = frame.ok ? parseMessage(frame.value) : frame;
        if (parsed.ok) handlers.message(parsed.value, body.length);
        else handlers.invalid(`${parsed.code}: ${parsed.message}`);
        return;
      }
      if (typeof event.data !== 'string') {
        handlers.invalid('a message on the relay socket that is neither text nor binary');
        return;
      }
      if (event.data.length > MAX_FRAME_BYTES) {
        handlers.invalid('frame over the size limit');
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(event.data);
      } catch {
        handlers.invalid('frame is not JSON');
        return;
      }
      const parsed = parseMessage(json);
      if (parsed.ok) handlers.message(parsed.value, event.data.length);
      else handlers.invalid(`${parsed.code}: ${parsed.message}`);
    };
    socket.onclose = (event: CloseEvent) => finish(event.code, event.reason);
    socket.onerror = () => {
      // A close event always follows an error event; the close carries the code.
    };
    return {
      send(message: Message): boolean {
        if (closed || socket.readyState !== 1) return false;
        socket.send(JSON.stringify(message));
        return true;
      },
      close(code = 1000, reason = 'closed by the player') {
        try {
          socket.close(code, reason);
        } catch {
          socket.close();
        }
        finish(code, reason);
      },
    };
  };
}
