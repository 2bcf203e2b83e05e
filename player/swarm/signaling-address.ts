/** Where a relay's PeerJS signaling server is (apart from `browser-peer.ts`, which loads PeerJS). */
import { relayUrl } from '../core/relay-url.ts';

/** Where the PeerJS signaling server is: the relay's `/peerjs`. */
export interface SignalingAddress {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly secure: boolean;
}

/**
 * The relay's PeerJS server, from the relay's HTTP base URL (`http://host:port`, or with a path
 * prefix behind a reverse proxy: `https://host/relay` → path `/relay/peerjs`).
 */
export function signalingFor(server: string): SignalingAddress {
  const url = relayUrl(server, '/peerjs');
  const secure = url.protocol === 'https:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  return { host: url.hostname, port, path: url.pathname, secure };
}
