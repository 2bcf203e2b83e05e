import type { ConnectTransport } from '../core/transport.ts';
/** A {@link ConnectTransport} for a relay's `/ws` endpoint, in Node. */
export declare function nodeWebSocketTransport(url: string): ConnectTransport;
