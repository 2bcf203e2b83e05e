import type { ConnectTransport } from '../core/transport.js';
/** A {@link ConnectTransport} for a relay's `/ws` endpoint, in Node. */
export declare function nodeWebSocketTransport(url: string): ConnectTransport;
