/**
 * The one process: HTTP (API, static site, `/metrics`), WebSocket `/ws`, PeerJS signaling at
 * `/peerjs`, and the TCP port (framed + seed-compatible), over one relay store. Binds 127.0.0.1
 * unless told otherwise.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { ErrorCode } from '../protocol/index.ts';
import { Hub, type HubOptions } from './hub/hub.ts';
import { DEFAULT_HUB_OPTIONS, DEFAULT_MAX_INBOUND_FRAME_BYTES } from './hub/options.ts';
import { apiErrorHandler, apiRouter } from './http/api.ts';
import { staticRouter } from './http/static.ts';
import {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_HEADER_TIMEOUT_MS,
  httpServerOptions,
  watchHttpTimeouts,
} from './http/timeouts.ts';
import { Metrics } from './metrics.ts';
import type { RoomCreationPolicy } from './http/operators.ts';
import { DEFAULT_MAX_PUBLISH_BODY_BYTES } from './relay/limits.ts';
import { connectedPlayers } from './relay/adoption.ts';
import { Relay, type RelayLimits } from './relay/relay.ts';
import type { ClusterMembership } from './cluster/join.ts';
import type { ClusterStore } from './cluster/redis-store.ts';
import type { RoomStore } from './store/room-store.ts';
import { RelayStore } from './store/store.ts';
import { DEFAULT_MAX_RELEASES_PER_ROOM, HistoryPruner } from './store/prune.ts';
import { createTcpServer } from './transports/tcp.ts';
import {
  DEFAULT_PEERJS_MAX_MESSAGE_BYTES,
  DEFAULT_PEERJS_PER_ADDRESS,
  PeerJsEndpoint,
} from './transports/peerjs.ts';
import { WsEndpoint } from './transports/ws.ts';
import { AddressLimits, rawHttpRefusal, type AddressLimitOptions } from './net/address-limits.ts';
import { ProxyTrust, socketAddress } from './net/client-address.ts';
import { admitTcp, admitUpgrade } from './net/admission.ts';
import { rateLimit } from './http/rate-limit.ts';
import { refusalLogger } from './http/refusal-log.ts';

/** Options of {@link startServer}. */
export interface ServerOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly httpPort?: number;
  readonly tcpPort?: number;
  readonly dataDir: string;
  /**
   * Share rooms, releases and blobs with other relay nodes through this Redis (see
   * `signaling/cluster/`); the data dir is then unused. Without it: the data dir, one node.
   */
  readonly redis?: {
    readonly url: string;
    readonly prefix?: string;
    readonly cacheBytes?: number;
    readonly pollMs?: number;
  };
  /** The built site to serve at `/`, or null for none. */
  readonly staticDir?: string | null;
  /** Largest publish body (default {@link DEFAULT_MAX_PUBLISH_BODY_BYTES}). */
  readonly maxBodyBytes?: number;
  /** Largest frame a client may send (default 1 MiB: client messages are small). */
  readonly maxInboundFrameBytes?: number;
  /** Time for an HTTP client to send its headers (default 10 s). */
  readonly headerTimeoutMs?: number;
  /** Time for an HTTP client to send a whole request, body included (default 120 s). */
  readonly bodyTimeoutMs?: number;
  /** Listen backlog of both ports (default 4096; the kernel may cap it at `somaxconn`). */
  readonly backlog?: number;
  /** Bytes per write of a big TCP frame: the unit of progress the fan-out scheduler sees. */
  readonly tcpSliceBytes?: number;
  readonly hub?: Partial<HubOptions>;
  /** Most `/peerjs` sockets from one address (default {@link DEFAULT_PEERJS_PER_ADDRESS}). */
  readonly peerjsPerAddress?: number;
  /** Largest PeerJS message (default {@link DEFAULT_PEERJS_MAX_MESSAGE_BYTES}). */
  readonly peerjsMaxMessageBytes?: number;
  /** Who may create rooms over HTTP (default: nobody; `serve` gives an operator token). */
  readonly creation?: RoomCreationPolicy;
  /** Per-address socket caps and request / connection rates (`signaling/net/address-limits.ts`). */
  readonly addressLimits?: Partial<AddressLimitOptions>;
  /**
   * Balancers whose `X-Forwarded-For` and PROXY protocol headers name the client (`--trust-proxy`);
   * default: nobody's (`signaling/net/client-address.ts`).
   */
  readonly trustProxy?: ProxyTrust;
  /** Releases one room keeps; older ones are pruned and their unnamed blobs collected (default 200). */
  readonly maxReleasesPerRoom?: number;
  /** Upload window, per-room pending bytes, texture pixel cap, decode deadline. */
  readonly relayLimits?: Partial<RelayLimits>;
  /**
   * Work on the relay's rooms before the ports open, so nobody sees the relay without it (`serve`
   * creates the demo room here: the relay itself knows no demo content).
   */
  readonly prepare?: (relay: Relay) => Promise<void>;
  /** Where operator messages go (default: stderr). */
  readonly log?: (message: string) => void;
  /** Clock for release acceptance (tests). */
  readonly now?: () => number;
}

/** A running server. */
export interface RunningServer {
  readonly host: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  /** `http://host:port` */
  readonly url: string;
  readonly relay: Relay;
  readonly hub: Hub;
  readonly metrics: Metrics;
  /**
   * Closes every connection and both ports; with `retryAfterMs`, clients are told to come back then
   * (a restart: `patchcast serve` says so on SIGTERM and SIGINT).
   */
  close(options?: { readonly retryAfterMs?: number }): Promise<void>;
}

/** A port the server could not bind (taken, forbidden, no such address): `code` is the system's. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  constructor(
    /** Which of the server's ports: `HTTP` (API, site, WebSocket) or `TCP` (framed and seed). */
    readonly what: 'HTTP' | 'TCP',
    readonly host: string,
    readonly port: number,
    /** `EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, … */
    readonly code: string,
    options: { cause: unknown },
  ) {
    super(
      `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port} for ${what} (${code})`,
      options,
    );
  }
}

function listen(
  server: HttpServer | NetServer,
  what: 'HTTP' | 'TCP',
  port: number,
  host: string,
  backlog: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(new ListenError(what, host, port, error.code ?? 'UNKNOWN', { cause: error }));
    server.once('error', failed);
    server.listen({ port, host, backlog }, () => {
      server.off('error', failed);
      const address = server.address();
      if (address !== null && typeof address === 'object') resolve(address.port);
      else reject(new Error('server is not listening on a TCP port'));
    });
  });
}

const HOUR = 60 * 60 * 1000;

/** Starts the server. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const startedAt = Date.now();
  // Loaded only for a cluster: a single node needs no Redis client.
  const clusterStore: ClusterStore | null = options.redis
    ? await (await import('./cluster/redis-store.ts')).ClusterStore.open({ ...options.redis, log })
    : null;
  const store: RoomStore = clusterStore ?? (await RelayStore.open(options.dataDir, { log }));
  const relay = new Relay(store, options.now, options.relayLimits, log, options.dataDir);
  await relay.open();
  const metrics = new Metrics();
  metrics.watchStore(() => {
    const report = store.report();
    const rooms = [...store.rooms()].length;
    return {
      ok: rooms - report.degraded.length,
      degraded: report.degraded.length,
      quarantined: report.quarantined.length,
    };
  });
  const maxInbound = options.maxInboundFrameBytes ?? DEFAULT_MAX_INBOUND_FRAME_BYTES;
  // welcome.maxFrameBytes tells a client the largest frame it may send: what the transports enforce.
  const hub = new Hub(relay, metrics, { ...options.hub, maxFrameBytes: maxInbound });
  relay.plans.connected = (room) => connectedPlayers(hub.rosterOf(room));

  const removed = await store.collectGarbage(HOUR);
  if (removed > 0) log(`removed ${removed} unpublished upload(s) older than an hour`);
  const gcTimer = setInterval(() => void store.collectGarbage(HOUR).catch(() => 0), HOUR);
  gcTimer.unref();

  await options.prepare?.(relay);

  // The releases kept per room: pruned on the file store (a cluster's Redis store keeps its own).
  if (store instanceof RelayStore) {
    const pruner = new HistoryPruner(store, {
      maxReleases: options.maxReleasesPerRoom ?? DEFAULT_MAX_RELEASES_PER_ROOM,
      blobMinAgeMs: relay.limits.uploadWindowMs,
      log,
    });
    await pruner.pruneAll();
    relay.onRelease((signed) => {
      pruner.prune(signed.release.room).catch((error: unknown) => log(`prune: ${String(error)}`));
    });
  }

  const logRefusal = refusalLogger(log);
  const limits = new AddressLimits(options.addressLimits ?? {}, (code, source, address, why) => {
    metrics.refusals.inc({ code, source });
    logRefusal(source, code, why, address);
  });
  // Sockets refused at the door: answered and ended; nothing they send is served.
  const refusedSockets = new WeakSet<object>();

  const app = express();
  app.disable('x-powered-by');
  app.use((req, _res, next) => (refusedSockets.has(req.socket) ? req.socket.destroy() : next()));
  const trust = options.trustProxy ?? ProxyTrust.none;
  app.use(rateLimit(limits, trust));
  const timeouts = {
    headerTimeoutMs: options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS,
    bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
  };
  const http = createHttpServer(httpServerOptions(timeouts), app);
  http.prependListener('connection', (socket: Socket) => {
    const address = socketAddress(socket);
    if (!limits.openSocket(address, !trust.trusts(address))) {
      refusedSockets.add(socket);
      socket.end(rawHttpRefusal(503, ErrorCode.TOO_MANY_CONNECTIONS, 'too many connections'));
      return;
    }
    socket.once('close', () => limits.closeSocket(address));
  });
  watchHttpTimeouts(http, timeouts, metrics, log);
  // Our `/ws` endpoint and PeerJS's both take upgrades from this one server. Both are `noServer`
  // and the upgrade is routed here by path: two `ws` servers attached with `server:` would each
  // see every upgrade, and the one whose path does not match aborts the other's handshake.
  const peerjs = new PeerJsEndpoint(http, {
    maxPerAddress: options.peerjsPerAddress ?? DEFAULT_PEERJS_PER_ADDRESS,
    maxMessageBytes: options.peerjsMaxMessageBytes ?? DEFAULT_PEERJS_MAX_MESSAGE_BYTES,
    peerIds: hub.peerIds,
    metrics,
    log,
  });
  app.use('/peerjs', peerjs.app);
  const cluster: ClusterMembership | null = clusterStore
    ? await (
        await import('./cluster/join.ts')
      )
        .joinCluster({
          store: clusterStore,
          hub,
          peerjs,
          metrics,
          limits,
          operatorToken: options.creation?.operatorToken ?? null,
          log,
        })
        .catch(async (error: unknown) => {
          hub.close();
          peerjs.close();
          await clusterStore.close();
          throw error;
        })
    : null;
  const perAddress = {
    session: { ...DEFAULT_HUB_OPTIONS, ...options.hub }.maxConnectionsPerIp,
    peerjs: options.peerjsPerAddress ?? DEFAULT_PEERJS_PER_ADDRESS,
  };
  app.use(
    apiRouter({
      relay,
      hub,
      metrics,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_PUBLISH_BODY_BYTES,
      startedAt,
      log,
      ...(cluster ? { roomQuota: cluster.limits } : {}),
      ...(options.creation
        ? { creation: { countsFile: join(options.dataDir, 'open-rooms.json'), ...options.creation } }
        : {}),
    }),
  );
  app.use(apiErrorHandler);
  if (options.staticDir) app.use(staticRouter(options.staticDir));

  const ws = new WsEndpoint(hub, maxInbound);
  http.on('upgrade', (req, socket, head) => {
    if (refusedSockets.has(socket)) return socket.destroy();
    const path = new URL(req.url ?? '/', 'http://relay').pathname;
    const door = path === '/ws' ? 'ws' : path.startsWith('/peerjs') ? 'peerjs' : null;
    if (door === null) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upgrade = () =>
      door === 'ws' ? ws.handleUpgrade(req, socket, head) : peerjs.handleUpgrade(req, socket, head);
    const address = trust.clientOf(req);
    // One node: decided at once, as always. A cluster: the shared limits may take a round trip.
    if (!limits.shared) {
      if (limits.connect(address, door)) return upgrade();
      socket.end(rawHttpRefusal(429, ErrorCode.RATE_LIMITED, 'too many new connections: slow down'));
      return;
    }
    // While Redis answers, the upgrade's socket has no listener of its own: a reset must not throw.
    socket.on('error', () => {});
    void admitUpgrade(limits, socket, address, door, perAddress).then((refusal) => {
      if (refusal === null) return upgrade();
      socket.end(refusal);
    });
  });

  const tcp = createTcpServer(hub, {
    maxInboundFrameBytes: maxInbound,
    admit: (socket) => admitTcp(limits, trust, socket, perAddress.session, log),
    ...(options.tcpSliceBytes ? { sliceBytes: options.tcpSliceBytes } : {}),
  });
  const tcpSockets = new Set<Socket>();
  tcp.on('connection', (socket: Socket) => {
    tcpSockets.add(socket);
    socket.on('close', () => tcpSockets.delete(socket));
  });

  const backlog = options.backlog ?? 4096;
  const httpPort = await listen(http, 'HTTP', options.httpPort ?? 8787, host, backlog);
  let tcpPort: number;
  try {
    tcpPort = await listen(tcp, 'TCP', options.tcpPort ?? 8788, host, backlog);
  } catch (error) {
    http.close();
    throw error;
  }

  let closing: Promise<void> | null = null;
  const close = (closeOptions: { readonly retryAfterMs?: number } = {}) => {
    closing ??= (async () => {
      clearInterval(gcTimer);
      cluster?.close();
      await relay.close();
      hub.close(closeOptions.retryAfterMs);
      // A moment for the SERVER_SHUTDOWN frames to leave, then everything goes.
      await new Promise((r) => setTimeout(r, 100));
      ws.close();
      peerjs.close();
      for (const socket of tcpSockets) socket.destroy();
      await Promise.all([
        new Promise<void>((r) => tcp.close(() => r())),
        new Promise<void>((r) => {
          http.close(() => r());
          http.closeAllConnections();
        }),
      ]);
      // Again, now that no socket is left: an ack that came in while the hub was closing was counted
      // after the first flush, and its write would otherwise come later from a timer — into a data
      // dir the operator (or a test) may be removing by then.
      await relay.close();
      await store.close?.();
    })();
    return closing;
  };

  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    httpPort,
    tcpPort,
    url: `http://${shownHost}:${httpPort}`,
    relay,
    hub,
    metrics,
    close,
  };
}
