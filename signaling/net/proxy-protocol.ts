/**
 * PROXY protocol v1 (text) and v2 (binary), as haproxy's `send-proxy` / `send-proxy-v2` and nginx's
 * `proxy_protocol on` write it at the start of a TCP connection: the address of the client the
 * balancer accepted. The relay reads it only from a balancer it trusts (`--trust-proxy`): from
 * anyone else those bytes are not a header but the start of a (bad) frame.
 * Reference: https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt
 */
import { isIP } from 'node:net';
import type { Socket } from 'node:net';

/** Longest v1 header, CRLF included (the specification's bound). */
export const PROXY_V1_MAX_BYTES = 107;
/** Longest v2 header the relay reads (addresses and a few TLVs; the specification allows 64 KiB). */
export const PROXY_V2_MAX_BYTES = 4096;
/** Time a trusted balancer has to send the header before the connection is closed (ms). */
export const PROXY_HEADER_TIMEOUT_MS = 5_000;

const V1_PREFIX = Buffer.from('PROXY ');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** What the first bytes of a connection say. */
export type ProxyHeader =
  /** Not enough bytes yet to tell. */
  | { readonly kind: 'more' }
  /** No PROXY header: the bytes are the connection's own. */
  | { readonly kind: 'none' }
  /** A header that breaks the protocol. */
  | { readonly kind: 'bad'; readonly why: string }
  /** A header of `length` bytes; `address` null when it names none (LOCAL, UNKNOWN, a Unix socket). */
  | { readonly kind: 'header'; readonly length: number; readonly address: string | null };

/** True when `bytes` could still be the start of `prefix` (or starts with all of it). */
function startsLike(bytes: Uint8Array, prefix: Uint8Array): boolean {
  const n = Math.min(bytes.length, prefix.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Reads a PROXY header (v1 or v2) at the start of `bytes`. */
export function parseProxyHeader(bytes: Buffer): ProxyHeader {
  if (bytes.length === 0) return { kind: 'more' };
  if (startsLike(bytes, V1_PREFIX))
    return bytes.length < V1_PREFIX.length ? { kind: 'more' } : parseV1(bytes);
  if (startsLike(bytes, V2_SIGNATURE)) return bytes.length < 16 ? { kind: 'more' } : parseV2(bytes);
  return { kind: 'none' };
}

function parseV1(bytes: Buffer): ProxyHeader {
  const end = bytes.subarray(0, PROXY_V1_MAX_BYTES).indexOf('\r\n');
  if (end < 0) {
    return bytes.length >= PROXY_V1_MAX_BYTES
      ? { kind: 'bad', why: `PROXY v1 line over ${PROXY_V1_MAX_BYTES} bytes` }
      : { kind: 'more' };
  }
  const parts = bytes.subarray(0, end).toString('latin1').split(' ');
  const length = end + 2;
  if (parts[1] === 'UNKNOWN') return { kind: 'header', length, address: null };
  const [, family, source, , sport, dport] = parts;
  const version = family === 'TCP4' ? 4 : family === 'TCP6' ? 6 : 0;
  const port = (p: string | undefined) => p !== undefined && /^\d{1,5}$/.test(p) && Number(p) < 65536;
  if (parts.length !== 6 || version === 0 || isIP(source ?? '') !== version || !port(sport) || !port(dport)) {
    return { kind: 'bad', why: 'malformed PROXY v1 line' };
  }
  return { kind: 'header', length, address: normalizeAddress(source ?? '') };
}

function parseV2(bytes: Buffer): ProxyHeader {
  const versionCommand = bytes[12] ?? 0;
  if (versionCommand >> 4 !== 2) return { kind: 'bad', why: 'PROXY v2 header of another version' };
  const command = versionCommand & 0x0f;
  if (command > 1) return { kind: 'bad', why: 'PROXY v2 header with an unknown command' };
  const length = 16 + bytes.readUInt16BE(14);
  if (length > PROXY_V2_MAX_BYTES)
    return { kind: 'bad', why: `PROXY v2 header over ${PROXY_V2_MAX_BYTES} bytes` };
  if (bytes.length < length) return { kind: 'more' };
  // LOCAL: the balancer's own connection (a health check): it names no client.
  if (command === 0) return { kind: 'header', length, address: null };
  const family = (bytes[13] ?? 0) >> 4;
  if (family === 1 && length >= 16 + 12) {
    return { kind: 'header', length, address: [...bytes.subarray(16, 20)].join('.') };
  }
  if (family === 2 && length >= 16 + 36) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(bytes.readUInt16BE(16 + 2 * i).toString(16));
    return { kind: 'header', length, address: normalizeAddress(groups.join(':')) };
  }
  // AF_UNSPEC, a Unix socket, or addresses too short for their family: no client address.
  return family === 0 || family === 3
    ? { kind: 'header', length, address: null }
    : { kind: 'bad', why: 'PROXY v2 addresses cut short' };
}

/** An address as the relay writes it: IPv4-mapped IPv6 as IPv4, IPv6 in its canonical short form. */
export function normalizeAddress(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (isIP(plain) !== 6) return plain;
  try {
    return new URL(`http://[${plain}]/`).hostname.slice(1, -1);
  } catch {
    return plain;
  }
}

/** What {@link readProxyHeader} found. */
export type ProxyRead =
  /**
   * `address` null: no header (`local` false), or a header that names no client (`local` true: the
   * balancer's own connection, such as haproxy's health checks, which send PROXY v2 LOCAL).
   */
  | { readonly ok: true; readonly address: string | null; readonly local: boolean }
  | { readonly ok: false; readonly why: string };

/**
 * Reads a PROXY header off a socket from a trusted balancer, and puts back every byte after it for
 * whoever reads the socket next. No header (the bytes start otherwise): `address` null.
 */
export function readProxyHeader(socket: Socket, timeoutMs = PROXY_HEADER_TIMEOUT_MS): Promise<ProxyRead> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const finish = (result: ProxyRead, rest?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (rest && rest.length > 0) socket.unshift(rest);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const header = parseProxyHeader(buffered);
      if (header.kind === 'more') return;
      if (header.kind === 'bad') return finish({ ok: false, why: header.why });
      if (header.kind === 'none') return finish({ ok: true, address: null, local: false }, buffered);
      const local = header.address === null;
      finish({ ok: true, address: header.address, local }, buffered.subarray(header.length));
    };
    const onClose = () => finish({ ok: false, why: 'closed before its PROXY header' });
    const timer = setTimeout(
      () => finish({ ok: false, why: `no PROXY header within ${timeoutMs} ms` }),
      timeoutMs,
    );
    timer.unref();
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
