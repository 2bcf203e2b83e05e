/** The Node adapter's relay connection over WebSocket: the core's transport on the `ws` package. */
import WebSocket from 'ws';
import { webSocketTransport, type WebSocketConstructor } from '../core/ws-transport.ts';
import type { ConnectTransport } from '../core/transport.ts';

/**
 * `ws`'s client speaks the browser's event API (`onopen`, `onmessage` with text frames as strings,
 * `onclose` with code and reason), which is all the core's transport uses; TypeScript knows the two
 * classes apart, so the constructor is wrapped once here.
 */
const NodeWebSocket: WebSocketConstructor = function (url: string) {
  return new WebSocket(url, { perMessageDeflate: false });
} as unknown as WebSocketConstructor;

/** A {@link ConnectTransport} for a relay's `/ws` endpoint, in Node. */
export function nodeWebSocketTransport(url: string): ConnectTransport {
  return webSocketTransport(url, NodeWebSocket);
}
