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
export declare function signalingFor(server: string): SignalingAddress;
