import type { ConnectTransport } from '../core/transport.js';
/** Options of {@link tcpTransport}. */
export interface TcpTransportOptions {
    /** Give up a connect that has not completed in this long (default 5 s). */
    readonly connectTimeoutMs?: number;
    /** Largest frame taken from the relay (default {@link MAX_FRAME_BYTES}). */
    readonly maxFrameBytes?: number;
}
/** A {@link ConnectTransport} for a relay's framed TCP port. */
export declare function tcpTransport(host: string, port: number, options?: TcpTransportOptions): ConnectTransport;
/** Parses `HOST:PORT` (IPv6 in brackets: `[::1]:8788`), or null. */
export declare function parseHostPort(text: string): {
    readonly host: string;
    readonly port: number;
} | null;
