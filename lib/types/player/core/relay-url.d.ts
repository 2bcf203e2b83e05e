/** Where things are on a relay, from its HTTP base URL. */
/**
 * A URL on the relay: `path` (`/api/…`, `/ws`, `/peerjs`) under the relay's base URL, which may carry
 * a path prefix (`https://host/relay` → `https://host/relay/api/…`, behind a reverse proxy).
 */
export declare function relayUrl(server: string, path: string): URL;
/** The `/ws` URL of a relay given its HTTP base URL (`http://host:port` → `ws://host:port/ws`). */
export declare function relaySocketUrl(server: string): string;
