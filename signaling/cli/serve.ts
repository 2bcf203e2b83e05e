/**
 * `patchcast serve`: the relay, with the demo room on a fresh data dir. Flags win over environment
 * variables, which win over defaults.
 */
import { resolve } from 'node:path';
import { demoAdminLink } from '../demo/admin-link.ts';
import type { DemoInfo } from '../demo/demo-room.ts';
import { DEFAULT_OPEN_ROOMS_PER_ADDRESS } from '../http/operators.ts';
import { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_HEADER_TIMEOUT_MS } from '../http/timeouts.ts';
import { RESTART_HINT_MS } from '../../protocol/limits.ts';
import { parseRate } from '../hub/egress.ts';
import { DEFAULT_MAX_PUBLISH_BODY_BYTES, DEFAULT_RELAY_LIMITS } from '../relay/limits.ts';
import type { ListenError, RunningServer } from '../server.ts';
import { DEFAULT_ADDRESS_LIMITS, type AddressLimitOptions } from '../net/address-limits.ts';
import { ProxyTrust } from '../net/client-address.ts';
import {
  DEFAULT_HUB_OPTIONS,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_WINDOW_BYTES,
  type HubOptions,
} from '../hub/options.ts';
import { DEFAULT_STALL_MS, DEFAULT_WRITE_SLOTS, SLOT_RANGE } from '../hub/fanout.ts';
import { DEFAULT_MAX_RELEASES_PER_ROOM } from '../store/prune.ts';
import { CliError, flag, intFlag, type Io, type OptionSpecs, type ParsedArgs } from './io.ts';
import { serveOperatorToken, type OperatorToken } from './operator-token.ts';

/** Help text of `serve`. */
export const SERVE_HELP = `patchcast serve [options]

Runs the relay: HTTP API, static site, WebSocket /ws, PeerJS /peerjs, TCP fallback. With the demo
room, prints an admin link that carries the demo room's secret key in its #fragment.

  --host ADDR        address to bind (PATCHCAST_HOST, default 127.0.0.1)
  --http-port N      HTTP and WebSocket port (PATCHCAST_HTTP_PORT, default 8787)
  --tcp-port N       TCP port, framed and seed-compatible (PATCHCAST_TCP_PORT, default 8788)
  --data-dir DIR     where rooms, releases and blobs live (PATCHCAST_DATA_DIR, default ./.patchcast)
  --static-dir DIR   the built site to serve at / (default ./dist)
  --seed-room R      the room seed-protocol clients join; they run its Python script unsandboxed
                     (default: the demo room unless --no-demo; else none, and seed clients are refused)
  --no-demo          do not create the demo room on a fresh data dir
  --header-timeout MS  time an HTTP client has to send its headers (default ${DEFAULT_HEADER_TIMEOUT_MS})
  --body-timeout MS    time an HTTP client has to send a whole request, body included
                       (default ${DEFAULT_BODY_TIMEOUT_MS}); past either: 408, connection closed
  --peerjs-per-ip N  most /peerjs sockets from one address (default 2500)
  --peerjs-max-message-bytes N
                     largest PeerJS message; bigger ones close the socket (default 65536)
  --egress-limit RATE  the relay's blob egress, a token bucket standing in for its uplink: bytes
                     (12MB, 500KiB) or bits (100mbit) per second (PATCHCAST_EGRESS_LIMIT; default
                     none). Under it, swarm players are served at once; past it, the swarm carries
                     what one copy has reached
  --push-max-bytes N  blobs of at most N bytes go to players right behind their release, unasked
                     (default ${DEFAULT_HUB_OPTIONS.pushBlobMaxBytes}; 0: none). Not under --egress-limit
  --write-slots N    connections filled with blob bytes at once, to start with (default ${DEFAULT_WRITE_SLOTS}): one
                     more for each that finishes without stalling, up to ${SLOT_RANGE}x N; halved when many stall
                     at once, down to N/${SLOT_RANGE}. The others wait their turn, and a holder that takes nothing
                     for ${DEFAULT_STALL_MS} ms loses its slot
  --write-window-bytes N  bytes handed to one connection's socket per turn, the next window in its
                     next turn once the kernel took them (default ${DEFAULT_WINDOW_BYTES}); the TCP
                     port's write size too
  --max-send-queue-bytes N  a connection whose unsent bytes pass N is dropped as too slow, TOO_SLOW
                     (default ${DEFAULT_MAX_QUEUED_BYTES}; at least --write-window-bytes). Keep it over the
                     biggest patch: a seed client's frame carries a whole image, 4/3 of its bytes

Several relay nodes (docs/deploy.md):
  --redis URL        share rooms, releases and blobs with every node on this Redis (redis://HOST:PORT;
                     PATCHCAST_REDIS_URL); the data dir then holds only the operator token and demo key.
                     Give every node the same PATCHCAST_OPERATOR_TOKEN
  --redis-prefix P   prefix of every key, to share one Redis between clusters (default patchcast:)
  --redis-cache-bytes N  bytes of blobs each node keeps in memory (default 268435456)
  --trust-proxy LIST  balancers (addresses, CIDR blocks: 10.0.0.5,10.1.0.0/16) whose connections name
                     their client: X-Forwarded-For on HTTP, /ws, /peerjs (the rightmost hop not in the
                     list), PROXY protocol v1/v2 on the TCP port (PATCHCAST_TRUST_PROXY; default none:
                     such headers are never believed). Per-address limits then count the client
With --redis, per-address connection counts, request and connection rates and open-room quotas hold
for the whole cluster; the HTTP socket caps stay per node.
Per-address limits (each refusal: a code, a log line, patchcast_refusals_total in /metrics):
  --max-connections N         live /ws + TCP sessions in all (default ${DEFAULT_HUB_OPTIONS.maxConnections})
  --max-connections-per-ip N  …from one address (default ${DEFAULT_HUB_OPTIONS.maxConnectionsPerIp})
  --http-sockets N            sockets open on the HTTP port, /ws and /peerjs included (default ${DEFAULT_ADDRESS_LIMITS.httpSockets})
  --http-sockets-per-ip N     …from one address, at most a quarter of --http-sockets (default ${DEFAULT_ADDRESS_LIMITS.httpSocketsPerAddress})
  --requests-per-second N     HTTP requests of one address, on average (default ${DEFAULT_ADDRESS_LIMITS.requests.perSecond})
  --request-burst N           …and at once (default ${DEFAULT_ADDRESS_LIMITS.requests.burst}); past it: 429 RATE_LIMITED
  --connects-per-second N     new /ws, /peerjs and TCP connections of one address, on average
                              (default ${DEFAULT_ADDRESS_LIMITS.connects.perSecond})
  --connect-burst N           …and at once (default ${DEFAULT_ADDRESS_LIMITS.connects.burst})

Who may create rooms:
  --operator-token-file F  the operator token (PATCHCAST_OPERATOR_TOKEN; default: DATA_DIR/operator-token,
                     generated with mode 0600 on first start). Only requests that show it
                     (Authorization: Bearer …) create rooms
  --open-rooms       also let anyone create rooms (experiments), within --open-rooms-per-address
  --open-rooms-per-address N  rooms one address may create on an open relay (default 5)

Limits of publishing:
  --max-publish-bytes N       largest publish body, refused from Content-Length before reading
                              (default 4194304; blobs of 64 KiB or more go up raw after the release)
  --max-pending-upload-bytes N  bytes a room's verified releases may await as uploads (default 67108864)
  --upload-window-ms N        how long those uploads are accepted (default 600000)
  --max-texture-pixels N      largest width × height a texture header may declare (default 16777216)
  --decode-timeout-ms N       longest one texture decode may take; decodes run one at a time (default 5000)
  --max-releases-per-room N   releases a room keeps; older history is pruned and blobs no kept release
                              names are collected (default ${DEFAULT_MAX_RELEASES_PER_ROOM})
`;

/** The flags of `serve` (anything else is a usage error). */
export const SERVE_OPTIONS = {
  host: { type: 'string' },
  'http-port': { type: 'string' },
  'tcp-port': { type: 'string' },
  'data-dir': { type: 'string' },
  'static-dir': { type: 'string' },
  'seed-room': { type: 'string' },
  'no-demo': { type: 'boolean' },
  'header-timeout': { type: 'string' },
  'body-timeout': { type: 'string' },
  'peerjs-per-ip': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-connections-per-ip': { type: 'string' },
  'http-sockets': { type: 'string' },
  'http-sockets-per-ip': { type: 'string' },
  'requests-per-second': { type: 'string' },
  'request-burst': { type: 'string' },
  'connects-per-second': { type: 'string' },
  'connect-burst': { type: 'string' },
  'peerjs-max-message-bytes': { type: 'string' },
  'operator-token-file': { type: 'string' },
  'open-rooms': { type: 'boolean' },
  'open-rooms-per-address': { type: 'string' },
  'max-publish-bytes': { type: 'string' },
  'max-pending-upload-bytes': { type: 'string' },
  'upload-window-ms': { type: 'string' },
  'max-texture-pixels': { type: 'string' },
  'decode-timeout-ms': { type: 'string' },
  redis: { type: 'string' },
  'trust-proxy': { type: 'string' },
  'redis-prefix': { type: 'string' },
  'redis-cache-bytes': { type: 'string' },
  'egress-limit': { type: 'string' },
  'push-max-bytes': { type: 'string' },
  'write-slots': { type: 'string' },
  'write-window-bytes': { type: 'string' },
  'max-send-queue-bytes': { type: 'string' },
  'max-releases-per-room': { type: 'string' },
} as const satisfies OptionSpecs;

/** The hub's limits `serve` was given (its connection, push and write flags); a usage error if bad. */
export function serveHubLimits(args: ParsedArgs): Partial<HubOptions> & Pick<HubOptions, 'outbox'> {
  const hubLimits = {
    maxConnections: positive(args, 'max-connections', DEFAULT_HUB_OPTIONS.maxConnections),
    maxConnectionsPerIp: positive(args, 'max-connections-per-ip', DEFAULT_HUB_OPTIONS.maxConnectionsPerIp),
    pushBlobMaxBytes: intFlag(args, 'push-max-bytes') ?? DEFAULT_HUB_OPTIONS.pushBlobMaxBytes,
    scheduler: {
      ...DEFAULT_HUB_OPTIONS.scheduler,
      maxActive: positive(args, 'write-slots', DEFAULT_WRITE_SLOTS),
    },
    outbox: {
      ...DEFAULT_HUB_OPTIONS.outbox,
      windowBytes: positive(args, 'write-window-bytes', DEFAULT_WINDOW_BYTES),
      maxQueuedBytes: positive(args, 'max-send-queue-bytes', DEFAULT_MAX_QUEUED_BYTES),
    },
  };
  if (hubLimits.outbox.maxQueuedBytes < hubLimits.outbox.windowBytes)
    throw new CliError('--max-send-queue-bytes must be at least --write-window-bytes', 2);
  if (!Number.isSafeInteger(hubLimits.pushBlobMaxBytes) || hubLimits.pushBlobMaxBytes < 0)
    throw new CliError('--push-max-bytes must be 0 or a positive integer', 2);
  return hubLimits;
}

/** A positive integer flag, or its default; a usage error otherwise. */
function positive(args: ParsedArgs, name: string, fallback: number): number {
  const value = intFlag(args, name) ?? fallback;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new CliError(`--${name} must be a positive integer`, 2);
  return value;
}

/**
 * What `serve` prints once it listens: the addresses, and for the demo room its player link and an
 * admin link that carries the demo key in the URL fragment (`signaling/demo/admin-link.ts`), so a new
 * user opens the admin with the key already in place. The link is printed only when the key file on
 * disk holds a key the demo room trusts.
 */
export function serveBanner(
  server: Pick<RunningServer, 'url' | 'host' | 'httpPort' | 'tcpPort'>,
  demo: DemoInfo | null,
  dataDir: string,
): string[] {
  const lines = [
    `patchcast relay on ${server.url}  (data: ${dataDir})`,
    `  admin site   ${server.url}/`,
    `  WebSocket    ws://${server.host}:${server.httpPort}/ws    PeerJS ${server.url}/peerjs`,
    `  TCP          ${server.host}:${server.tcpPort}  (framed protocol and seed clients)`,
  ];
  if (!demo) return lines;
  lines.push(`  demo room    ${demo.created ? 'created' : 'loaded'}; key file ${demo.keyPath}`);
  if (demo.publicKey) {
    lines.push(`  player       ${server.url}/play/?room=${demo.room}&key=${demo.publicKey}`);
  }
  if (demo.keyFile) {
    lines.push(
      `  admin (demo key) ${demoAdminLink(`${server.url}/`, demo.keyFile)}`,
      `               this link contains the demo room's secret key (in the #fragment, which the browser`,
      `               never sends): whoever has it can publish to the demo room`,
    );
  } else {
    lines.push(`  demo key     ${demo.keyPath} holds no key of the demo room: no admin link`);
  }
  return lines;
}

/** A Redis URL without its password, for the banner. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** One line that says which port could not be bound, why, and what to do. */
export function listenAdvice(error: ListenError): string {
  const flagName = error.what === 'HTTP' ? '--http-port' : '--tcp-port';
  const why =
    error.code === 'EADDRINUSE'
      ? 'the port is taken (another relay?)'
      : error.code === 'EACCES'
        ? 'permission denied (ports under 1024 need privileges)'
        : error.code === 'EADDRNOTAVAIL'
          ? 'this machine has no such address (see --host)'
          : 'the system refused';
  return `${error.message}: ${why}; choose another with ${flagName}`;
}

/** What `serve` prints about who may create rooms and which room seed clients get. */
export function operatorBanner(
  operator: OperatorToken,
  openRooms: boolean,
  seedRoom: string | null,
): string[] {
  const where = operator.path === null ? 'PATCHCAST_OPERATOR_TOKEN' : operator.path;
  return [
    `  operator     token ${operator.generated ? 'generated into' : 'from'} ${where}: it creates rooms` +
      ` (patchcast room create --operator-token-file …; the admin site's Keys page)`,
    openRooms
      ? `  open rooms   ON: anyone may create rooms (a few per address); not for a public relay`
      : `  open rooms   off: anonymous room creation is refused (OPERATOR_REQUIRED)`,
    seedRoom === null
      ? `  seed clients refused (no --seed-room)`
      : `  seed clients room ${seedRoom}: they run its Python script unsandboxed`,
  ];
}

/** Runs `serve` until SIGINT/SIGTERM; returns 1 at once when a port cannot be bound. */
export async function serve(args: ParsedArgs, io: Io): Promise<number> {
  const env = io.env;
  const host = flag(args, 'host') ?? env['PATCHCAST_HOST'] ?? '127.0.0.1';
  const httpPort = intFlag(args, 'http-port') ?? Number(env['PATCHCAST_HTTP_PORT'] ?? 8787);
  const tcpPort = intFlag(args, 'tcp-port') ?? Number(env['PATCHCAST_TCP_PORT'] ?? 8788);
  const dataDir = resolve(flag(args, 'data-dir') ?? env['PATCHCAST_DATA_DIR'] ?? '.patchcast');
  const staticDir = resolve(flag(args, 'static-dir') ?? 'dist');
  const withDemo = !args.bools.has('no-demo');
  if (!Number.isInteger(httpPort) || !Number.isInteger(tcpPort)) {
    io.err('serve: ports must be integers');
    return 2;
  }
  const headerTimeoutMs = intFlag(args, 'header-timeout') ?? DEFAULT_HEADER_TIMEOUT_MS;
  const bodyTimeoutMs = intFlag(args, 'body-timeout') ?? DEFAULT_BODY_TIMEOUT_MS;
  if (!(headerTimeoutMs > 0) || !(bodyTimeoutMs > 0)) {
    io.err('serve: --header-timeout and --body-timeout take a number of milliseconds above 0');
    return 2;
  }
  const peerjsPerAddress = intFlag(args, 'peerjs-per-ip');
  const peerjsMaxMessageBytes = intFlag(args, 'peerjs-max-message-bytes');
  for (const [name, value] of [
    ['peerjs-per-ip', peerjsPerAddress],
    ['peerjs-max-message-bytes', peerjsMaxMessageBytes],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      io.err(`serve: --${name} must be a positive integer`);
      return 2;
    }
  }
  const egressText = flag(args, 'egress-limit') ?? env['PATCHCAST_EGRESS_LIMIT'];
  const egressBytesPerSecond = egressText === undefined ? null : parseRate(egressText);
  if (egressText !== undefined && egressBytesPerSecond === null) {
    io.err('serve: --egress-limit takes bytes or bits per second: 12MB, 500KiB, 100mbit, 1gbit');
    return 2;
  }
  const creationLimits = {
    maxRoomsPerAddress: positive(args, 'open-rooms-per-address', DEFAULT_OPEN_ROOMS_PER_ADDRESS),
    maxBodyBytes: positive(args, 'max-publish-bytes', DEFAULT_MAX_PUBLISH_BODY_BYTES),
    relayLimits: {
      maxPendingBytesPerRoom: positive(
        args,
        'max-pending-upload-bytes',
        DEFAULT_RELAY_LIMITS.maxPendingBytesPerRoom,
      ),
      uploadWindowMs: positive(args, 'upload-window-ms', DEFAULT_RELAY_LIMITS.uploadWindowMs),
      maxTexturePixels: positive(args, 'max-texture-pixels', DEFAULT_RELAY_LIMITS.maxTexturePixels),
      decodeTimeoutMs: positive(args, 'decode-timeout-ms', DEFAULT_RELAY_LIMITS.decodeTimeoutMs),
    },
  };
  const redisUrl = flag(args, 'redis') ?? env['PATCHCAST_REDIS_URL'];
  if (redisUrl !== undefined && !/^rediss?:\/\/[^/\s]+/.test(redisUrl)) {
    io.err('serve: --redis takes a URL like redis://HOST:PORT');
    return 2;
  }
  const redisPrefix = flag(args, 'redis-prefix');
  const redis =
    redisUrl === undefined
      ? undefined
      : {
          url: redisUrl,
          ...(redisPrefix !== undefined ? { prefix: redisPrefix } : {}),
          cacheBytes: positive(args, 'redis-cache-bytes', 256 * 1024 * 1024),
        };
  let trustProxy: ProxyTrust;
  try {
    trustProxy = ProxyTrust.parse(flag(args, 'trust-proxy') ?? env['PATCHCAST_TRUST_PROXY'] ?? '');
  } catch (error) {
    io.err(`serve: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const d = DEFAULT_ADDRESS_LIMITS;
  const addressLimits: AddressLimitOptions = {
    httpSockets: positive(args, 'http-sockets', d.httpSockets),
    httpSocketsPerAddress: positive(args, 'http-sockets-per-ip', d.httpSocketsPerAddress),
    requests: {
      perSecond: positive(args, 'requests-per-second', d.requests.perSecond),
      burst: positive(args, 'request-burst', d.requests.burst),
    },
    connects: {
      perSecond: positive(args, 'connects-per-second', d.connects.perSecond),
      burst: positive(args, 'connect-burst', d.connects.burst),
    },
  };
  const hubLimits = serveHubLimits(args);
  // Loaded here, not at the top: the relay's packages (express, PeerJS, sharp, prom-client) take
  // longer to load than a whole `publish` runs, and only `serve` needs them.
  const [{ ListenError, startServer }, { DEMO_ROOM, ensureDemoRoom }] = await Promise.all([
    import('../server.ts'),
    import('../demo/demo-room.ts'),
  ]);
  // Seed clients run the seed room's Python unsandboxed: only a room the operator names (or the demo).
  const seedRoom = flag(args, 'seed-room') ?? (withDemo ? DEMO_ROOM : null);
  const operator = await serveOperatorToken(flag(args, 'operator-token-file'), env, dataDir);
  const openRooms = args.bools.has('open-rooms');
  let demo: DemoInfo | null = null;
  let server: RunningServer;
  try {
    server = await startServer({
      ...(peerjsPerAddress !== undefined ? { peerjsPerAddress } : {}),
      ...(peerjsMaxMessageBytes !== undefined ? { peerjsMaxMessageBytes } : {}),
      host,
      httpPort,
      tcpPort,
      dataDir,
      ...(redis ? { redis } : {}),
      staticDir,
      headerTimeoutMs,
      bodyTimeoutMs,
      hub: { seedRoom, egressBytesPerSecond, ...hubLimits },
      addressLimits,
      trustProxy,
      creation: {
        operatorToken: operator.token,
        openRooms,
        maxRoomsPerAddress: creationLimits.maxRoomsPerAddress,
        reserved: new Set(seedRoom === null ? [] : [seedRoom]),
      },
      maxBodyBytes: creationLimits.maxBodyBytes,
      maxReleasesPerRoom: positive(args, 'max-releases-per-room', DEFAULT_MAX_RELEASES_PER_ROOM),
      relayLimits: creationLimits.relayLimits,
      log: (m) => io.err(m),
      prepare: async (relay) => {
        // A quarantined demo room (the store reported it) is left as it is: the relay runs without it.
        if (withDemo && relay.quarantineReason(DEMO_ROOM) === undefined) {
          demo = await ensureDemoRoom(relay, dataDir);
        }
      },
    });
  } catch (error) {
    if (
      error instanceof Error &&
      (error.name === 'RedisUnreachable' || error.name === 'ClusterConfigError')
    ) {
      io.err(`serve: ${error.message}`);
      return 1;
    }
    if (!(error instanceof ListenError)) throw error;
    io.err(`serve: ${listenAdvice(error)}`);
    return 1;
  }
  for (const line of serveBanner(server, demo, dataDir)) io.out(line);
  if (redis) io.out(`  cluster      rooms, releases and blobs shared through ${redactRedisUrl(redis.url)}`);
  if (trustProxy.text !== '')
    io.out(`  balancers    client addresses read from ${trustProxy.text} (X-Forwarded-For, PROXY)`);
  for (const line of operatorBanner(operator, openRooms, seedRoom)) io.out(line);
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  io.out('shutting down');
  // Clients are told to come back in a moment: a stop is most often a restart, and a player that
  // dials on its own backoff would be back seconds after the relay is (`restartDelay`).
  await server.close({ retryAfterMs: RESTART_HINT_MS });
  // The PeerJS server keeps timers of its own that cannot be stopped: leave explicitly.
  process.exit(0);
}
