import type { ConnectTransport } from './transport.js';
/** The WebSocket constructor (the browser's, or `ws`'s in Node). */
export type WebSocketConstructor = new (url: string) => WebSocket;
/** A {@link ConnectTransport} for a relay's WebSocket endpoint. */
export declare function webSocketTransport(url: string, WebSocketImpl?: WebSocketConstructor): ConnectTransport;
