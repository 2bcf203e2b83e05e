/**
 * `patchcast play`: a real player, headless — the one patch client on the player's Node adapter
 * (`player/node/`). It follows a room over TCP (or WebSocket), verifies under the pinned key(s),
 * keeps its cache in a directory, runs logic scripts in the Node sandbox with the page's contract
 * checks and trial frames, downloads only the slots its staged rollouts include, acks every slot,
 * reconnects, and starts from its cache when the relay is down.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type {
  AppliedDetail,
  ConnectedDetail,
  ConnectTransport,
  DisconnectedDetail,
  RefusedDetail,
} from '../../player/node/index.ts';
import { loadNodeAdapter } from '../../player/node/load.ts';
import { trustKeys } from '../../protocol/keys.ts';
import { CliError, flag, flags, intFlag, type Io, type OptionSpecs, type ParsedArgs } from './io.ts';

/** Help text of `play`. */
export const PLAY_HELP = `patchcast play --room R --key PUBKEY [--tcp HOST:PORT | --ws URL] [--cache DIR] [options]

A headless player. Prints one line per event (or JSON lines with --json). Several relays (a comma
list): the player uses the first and moves to the next when its relay dies.

  --key PUBKEY       the room's public key (base64url); repeat for several
  --tcp HOST:PORT    the relay's TCP port (default 127.0.0.1:8788); HOST:PORT,HOST:PORT,… for several
  --ws URL           use the WebSocket endpoint instead (ws://host:port/ws); URL,URL,… for several
  --cache DIR        keep accepted releases and blobs here, and start from them
  --client-id ID     the client id (default play-<random>): it fixes the staged-rollout buckets
  --platform TEXT    what to report as platform
  --once             exit after holding the relay's current release (or --timeout ms)
  --timeout MS       with --once: give up after this long (default 30000)
  --p2p              join the room's swarm: fetch blobs from other players over WebRTC first, the
                     relay for the rest; serve what we hold to them (node-datachannel)
  --server URL       the relay's HTTP base URL, for key rotations and its PeerJS server (default
                     $PATCHCAST_SERVER, else the --ws URL's origin, else http://127.0.0.1:8787);
                     URL,URL,… for several: without --tcp or --ws, the player then dials each one's /ws
  --ice URL          a STUN/TURN server for --p2p (repeatable; none by default: loopback/LAN only)
`;

/** The flags of `play` (anything else is a usage error). */
export const PLAY_OPTIONS = {
  room: { type: 'string' },
  key: { type: 'string', multiple: true },
  tcp: { type: 'string' },
  ws: { type: 'string' },
  cache: { type: 'string' },
  'client-id': { type: 'string' },
  platform: { type: 'string' },
  once: { type: 'boolean' },
  timeout: { type: 'string' },
  p2p: { type: 'boolean' },
  server: { type: 'string' },
  ice: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const satisfies OptionSpecs;

/** One event of the player, as printed. */
type PlayEvent =
  | ({ readonly type: 'connected' } & ConnectedDetail)
  | ({ readonly type: 'applied' } & AppliedDetail)
  | ({ readonly type: 'refused' } & RefusedDetail)
  | ({ readonly type: 'disconnected' } & DisconnectedDetail)
  | { readonly type: 'progress'; readonly seq: number; readonly received: number; readonly total: number };

function describe(event: PlayEvent): string {
  switch (event.type) {
    case 'connected':
      return `connected as ${event.clientId}; relay seq ${event.seq}`;
    case 'applied': {
      const from = event.fromCache ? 'cache' : 'relay';
      const slots = Object.entries(event.slots).map(
        ([name, s]) => `\n  ${name} ${s.version}: ${s.status}${s.error === undefined ? '' : ` (${s.error})`}`,
      );
      return `applied seq ${event.seq} (version ${event.version}) from ${from}${slots.join('')}`;
    }
    case 'refused':
      return `refused a release: ${event.code}: ${event.message}`;
    case 'disconnected':
      return `disconnected (${event.reason || `code ${event.code}`})${event.retryInMs === null ? '' : `; retrying in ${event.retryInMs} ms`}`;
    case 'progress':
      return `seq ${event.seq}: ${event.received}/${event.total} bytes`;
  }
}

/** A comma list flag's items (none when the flag is absent). */
function listFlag(args: ParsedArgs, name: string): string[] {
  const given = flag(args, name);
  if (given === undefined) return [];
  const items = given.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new CliError(`--${name}: an empty item in the list`, 2);
  return items;
}

/** A URL flag's item, checked. */
function urlOf(name: string, text: string, protocols: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--${name}: ${text} is not a URL`, 2);
  }
  if (!protocols.includes(url.protocol))
    throw new CliError(`--${name}: ${text} is not ${protocols.join(' or ')}`, 2);
  return url;
}

/**
 * The relays' HTTP base URLs: `--server` (a list), the environment, the `--ws` URLs' origins, or the
 * default. The first is the player's `server` (key rotations, PeerJS).
 */
function serversOf(args: ParsedArgs, io: Io): string[] {
  const given = flag(args, 'server') !== undefined ? listFlag(args, 'server') : [];
  if (given.length > 0)
    return given.map((s) => urlOf('server', s, ['http:', 'https:']).href.replace(/\/$/, ''));
  const env = io.env['PATCHCAST_SERVER'];
  if (env) return [env];
  const ws = listFlag(args, 'ws');
  if (ws.length > 0) {
    return ws.map((s) => {
      const url = urlOf('ws', s, ['ws:', 'wss:']);
      url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
      return url.origin;
    });
  }
  return ['http://127.0.0.1:8787'];
}

/** The relay addresses to dial, in order: `--ws`, `--tcp`, several `--server`s' /ws, or the default TCP port. */
function connectsOf(
  args: ParsedArgs,
  servers: readonly string[],
  node: Awaited<ReturnType<typeof loadNodeAdapter>>,
): ConnectTransport[] {
  const { nodeWebSocketTransport, parseHostPort, relaySocketUrl, tcpTransport } = node;
  const ws = listFlag(args, 'ws');
  if (ws.length > 0) return ws.map((url) => nodeWebSocketTransport(urlOf('ws', url, ['ws:', 'wss:']).href));
  const tcp = listFlag(args, 'tcp');
  if (tcp.length === 0 && servers.length > 1 && flag(args, 'server') !== undefined) {
    return servers.map((s) => nodeWebSocketTransport(relaySocketUrl(s)));
  }
  return (tcp.length > 0 ? tcp : ['127.0.0.1:8788']).map((text) => {
    const address = parseHostPort(text);
    if (!address) throw new CliError('--tcp must be HOST:PORT (or a comma list of them)', 2);
    return tcpTransport(address.host, address.port);
  });
}

/** Runs `play` until SIGINT/SIGTERM (or, with --once, until up to date). */
export async function play(args: ParsedArgs, io: Io): Promise<number> {
  const room = flag(args, 'room');
  const keys = flags(args, 'key');
  if (!room || keys.length === 0) throw new CliError('--room and --key are required', 2);
  try {
    await trustKeys(keys);
  } catch {
    throw new CliError('--key must be a base64url Ed25519 public key', 2);
  }
  const cacheDir = flag(args, 'cache');
  const json = args.bools.has('json');
  const once = args.bools.has('once');
  const node = await loadNodeAdapter();
  const servers = serversOf(args, io);
  const player = new node.NodePlayer({
    room,
    publicKey: keys,
    server: servers[0]!,
    connect: connectsOf(args, servers, node),
    clientId: flag(args, 'client-id') ?? `play-${randomBytes(4).toString('hex')}`,
    platform: flag(args, 'platform') ?? `patchcast play (Node ${process.version})`,
    ...(cacheDir ? { cacheDir: resolve(cacheDir) } : {}),
    ...(args.bools.has('p2p') ? { p2p: { iceServers: flags(args, 'ice').map((urls) => ({ urls })) } } : {}),
  });
  const client = player.client;
  let relaySeq = -1;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((r) => (finish = r));
  const print = (event: PlayEvent) => {
    if (event.type === 'progress' && !json) return;
    io.out(json ? JSON.stringify(event) : describe(event));
    if (event.type === 'connected') relaySeq = event.seq;
    const upToDate = relaySeq >= 0 && client.status().seq >= relaySeq;
    if (once && upToDate && (event.type === 'connected' || event.type === 'applied')) finish(0);
  };
  client.on('connected', (detail) => print({ type: 'connected', ...detail }));
  client.on('applied', (detail) => print({ type: 'applied', ...detail }));
  client.on('refused', (detail) => print({ type: 'refused', ...detail }));
  client.on('disconnected', (detail) => print({ type: 'disconnected', ...detail }));
  let lastProgress = '';
  client.addEventListener('status', () => {
    const loading = client.status().loading;
    const key = loading ? `${loading.seq}:${loading.received}` : '';
    if (loading && key !== lastProgress) print({ type: 'progress', ...loading });
    lastProgress = key;
  });
  await player.start();
  const timeout = intFlag(args, 'timeout') ?? 30_000;
  const stop = () => finish(0);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const timer = once ? setTimeout(() => finish(client.status().seq > 0 ? 0 : 1), timeout) : undefined;
  const code = await done;
  clearTimeout(timer);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  player.close();
  return code;
}
