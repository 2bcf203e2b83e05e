/**
 * The doors' admission when it may wait: a TCP connection from a trusted balancer (its PROXY header
 * names the client), and in a cluster every `/ws`, `/peerjs` and TCP connection (the cluster's
 * connection rate and per-address connection counts live in Redis). A connection counted for the
 * cluster is given back when its socket closes.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '../../protocol/index.ts';
import type { TcpAdmission } from '../transports/tcp.ts';
import { rawHttpRefusal, type AddressLimits, type SharedConnectionKind } from './address-limits.ts';
import { socketAddress, type ProxyTrust } from './client-address.ts';
import { readProxyHeader } from './proxy-protocol.ts';

/** The most connections of one address, per kind, for the cluster. */
export interface PerAddressConnections {
  /** Live `/ws` + TCP sessions (the hub's `maxConnectionsPerIp`). */
  readonly session: number;
  /** `/peerjs` sockets. */
  readonly peerjs: number;
}

const TOO_FAST = 'too many new connections: slow down';
const TOO_MANY = 'too many connections from this address';

/** Holds a connection of `address` for the cluster until `socket` closes; false when refused or gone. */
async function hold(
  limits: AddressLimits,
  socket: Duplex,
  kind: SharedConnectionKind,
  address: string,
  limit: number,
  source: 'ws' | 'peerjs' | 'tcp',
): Promise<boolean | 'gone'> {
  if (!(await limits.acquireShared(kind, address, limit, source))) return false;
  if (socket.destroyed) {
    limits.releaseShared(kind, address);
    return 'gone';
  }
  socket.once('close', () => limits.releaseShared(kind, address));
  return true;
}

/**
 * A `/ws` or `/peerjs` upgrade in a cluster: the connection rate, then the connection count, both
 * the cluster's. Resolves null when admitted, else the raw HTTP refusal to write.
 */
export async function admitUpgrade(
  limits: AddressLimits,
  socket: Duplex,
  address: string,
  door: 'ws' | 'peerjs',
  perAddress: PerAddressConnections,
): Promise<string | null> {
  if (!(await limits.connectShared(address, door)))
    return rawHttpRefusal(429, ErrorCode.RATE_LIMITED, TOO_FAST);
  const kind = door === 'ws' ? 'session' : 'peerjs';
  const held = await hold(limits, socket, kind, address, perAddress[kind], door);
  if (held === true) return null;
  return held === 'gone' ? '' : rawHttpRefusal(503, ErrorCode.TOO_MANY_CONNECTIONS, TOO_MANY);
}

/**
 * A new TCP connection: its client (from the PROXY header when the peer is a trusted balancer),
 * the connection rate and, in a cluster, the cluster's count of the client's sessions. Decided at
 * once on a single node for an untrusted peer, as before.
 */
export function admitTcp(
  limits: AddressLimits,
  trust: ProxyTrust,
  socket: Socket,
  maxSessions: number,
  log: (message: string) => void,
): TcpAdmission | Promise<TcpAdmission> {
  // Reset before it was accepted (a balancer's health check often is): nothing to serve or count.
  if (socket.remoteAddress === undefined) return { ok: false, code: null, message: 'gone' };
  const peer = socketAddress(socket);
  const trusted = trust.trusts(peer);
  const tooFast = { ok: false, code: ErrorCode.RATE_LIMITED, message: TOO_FAST } as const;
  if (!trusted && !limits.shared) return limits.connect(peer, 'tcp') ? { ok: true, address: peer } : tooFast;
  return (async (): Promise<TcpAdmission> => {
    let address = peer;
    if (trusted) {
      const read = await readProxyHeader(socket);
      if (!read.ok) {
        // A balancer's health check connects and closes: nothing to say about that.
        if (socket.destroyed) return { ok: false, code: null, message: read.why };
        log(`tcp: refused ${ErrorCode.BAD_MESSAGE} from ${peer} (a trusted balancer): ${read.why}`);
        return { ok: false, code: ErrorCode.BAD_MESSAGE, message: read.why };
      }
      // The balancer's own connection (a health check): no client's, so no client's limits.
      if (read.local) return { ok: true, address: peer };
      address = read.address ?? peer;
    }
    if (!(await limits.connectShared(address, 'tcp'))) return tooFast;
    const held = await hold(limits, socket, 'session', address, maxSessions, 'tcp');
    if (held === true) return { ok: true, address };
    if (held === 'gone') return { ok: false, code: null, message: 'closed' };
    return { ok: false, code: ErrorCode.TOO_MANY_CONNECTIONS, message: TOO_MANY };
  })();
}
