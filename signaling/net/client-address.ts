/**
 * Who a caller really is when the relay runs behind a balancer (`--trust-proxy ADDR,CIDR…`): for a
 * connection *from* a trusted balancer only, the client's address is read from what the balancer
 * adds — `X-Forwarded-For` on HTTP, `/ws` and `/peerjs` (the rightmost hop that is not itself a
 * trusted balancer), a PROXY protocol header on the TCP port (proxy-protocol.ts). From anyone else
 * those headers are ignored: a caller cannot choose the address its limits are counted under.
 * The address found for a request is remembered with it, so every limit, quota and log line of
 * that request names the same client.
 */
import { BlockList, isIP, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { normalizeAddress } from './proxy-protocol.ts';

/** Most `X-Forwarded-For` hops looked at (from the right): a longer chain is a caller's invention. */
export const MAX_FORWARDED_HOPS = 16;

/** A `--trust-proxy` list that does not parse. */
export class TrustProxyError extends Error {
  override readonly name = 'TrustProxyError';
}

/** The balancers the relay believes. */
export class ProxyTrust {
  private constructor(
    private readonly list: BlockList | null,
    /** The list as given, for the banner. */
    readonly text: string,
  ) {}

  /** Nobody is trusted: every caller is the socket's own address (the default). */
  static readonly none = new ProxyTrust(null, '');

  /** Parses `ADDR,CIDR,…` (IPv4 or IPv6; an empty list trusts nobody). */
  static parse(text: string): ProxyTrust {
    const entries = text
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    if (entries.length === 0) return ProxyTrust.none;
    const list = new BlockList();
    for (const entry of entries) {
      const [address = '', bits, extra] = entry.split('/');
      const plain = normalizeAddress(address);
      const version = isIP(plain);
      const prefix = bits === undefined ? (version === 4 ? 32 : 128) : Number(bits);
      if (
        version === 0 ||
        extra !== undefined ||
        !/^\d{1,3}$/.test(bits ?? '0') ||
        prefix > (version === 4 ? 32 : 128)
      ) {
        throw new TrustProxyError(`--trust-proxy: "${entry}" is not an address or a CIDR block`);
      }
      list.addSubnet(plain, prefix, version === 4 ? 'ipv4' : 'ipv6');
    }
    return new ProxyTrust(list, entries.join(','));
  }

  /** True when `address` is a trusted balancer. */
  trusts(address: string): boolean {
    if (this.list === null) return false;
    const plain = normalizeAddress(address);
    const version = isIP(plain);
    return version !== 0 && this.list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  }

  /** The client of an HTTP request (an upgrade too), remembered with the request. */
  clientOf(req: IncomingMessage): string {
    const known = remembered.get(req);
    if (known !== undefined) return known;
    const peer = socketAddress(req.socket);
    const address = this.trusts(peer) ? this.forwardedClient(req.headers['x-forwarded-for'], peer) : peer;
    remembered.set(req, address);
    return address;
  }

  /** The rightmost hop of `X-Forwarded-For` that is not a trusted balancer (`peer` when none is usable). */
  private forwardedClient(header: string | string[] | undefined, peer: string): string {
    const text = Array.isArray(header) ? header.join(',') : (header ?? '');
    const hops = text.split(',').map((h) => h.trim());
    let client = peer;
    for (let i = hops.length - 1, seen = 0; i >= 0 && seen < MAX_FORWARDED_HOPS; i--, seen++) {
      const hop = normalizeAddress(hops[i] ?? '');
      if (isIP(hop) === 0) break;
      client = hop;
      if (!this.trusts(hop)) break;
    }
    return client;
  }
}

const remembered = new WeakMap<IncomingMessage, string>();

/** A socket's own peer address (IPv4-mapped IPv6 as IPv4). */
export function socketAddress(socket: Pick<Socket, 'remoteAddress'>): string {
  return normalizeAddress(socket.remoteAddress ?? 'unknown');
}

/** The client address found for a request ({@link ProxyTrust.clientOf}), else its socket's. */
export function requestAddress(req: IncomingMessage): string {
  return remembered.get(req) ?? socketAddress(req.socket);
}
