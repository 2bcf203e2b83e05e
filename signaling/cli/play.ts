/**
 * `patchcast play`: the headless client as a command. Follows a room over TCP (or WebSocket),
 * verifies under the pinned key(s), keeps its cache in a directory, acks, reconnects, and starts from
 * its cache when the relay is down.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { trustKeys } from '../../protocol/index.ts';
import { DirCache, MemoryCache } from '../client/cache.ts';
import { tcpConnector, wsConnector, type Connector } from '../client/channel.ts';
import { PatchClient, type ClientEvent } from '../client/client.ts';
import { openClientSwarm } from '../p2p/client-swarm.ts';
import type { SignalingAddress } from '../p2p/node-peer.ts';
import { CliError, flag, flags, intFlag, type Io, type OptionSpecs, type ParsedArgs } from './io.ts';

/** Help text of `play`. */
export const PLAY_HELP = `patchcast play --room R --key PUBKEY [--tcp HOST:PORT | --ws URL] [--cache DIR] [options]

The headless client. Prints one line per event (or JSON lines with --json).

  --key PUBKEY       the room's public key (base64url); repeat for several
  --tcp HOST:PORT    the relay's TCP port (default 127.0.0.1:8788)
  --ws URL           use the WebSocket endpoint instead (ws://host:port/ws)
  --cache DIR        keep the accepted release and blobs here, and start from them
  --client-id ID     the id to ask for (default play-<random>)
  --platform TEXT    what to report as platform
  --once             exit after holding the relay's current release (or --timeout ms)
  --timeout MS       with --once: give up after this long (default 30000)
  --p2p              join the room's swarm: fetch blobs from other players over WebRTC first, the
                     relay for the rest; serve what we hold to them (node-webrtc)
  --server URL       the relay's HTTP origin, for its PeerJS server (default $PATCHCAST_SERVER or
                     http://127.0.0.1:8787)
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

function describe(event: ClientEvent): string {
  switch (event.type) {
    case 'connected':
      return `connected as ${event.clientId}; relay seq ${event.relaySeq}`;
    case 'applied':
      return `applied seq ${event.seq} (version ${event.version}) from ${event.from}`;
    case 'refused':
      return `refused a release: ${event.code}: ${event.message}`;
    case 'relay-error':
      return `relay error ${event.code}${event.fatal ? ' (fatal)' : ''}: ${event.message}`;
    case 'disconnected':
      return `disconnected (${event.reason}); retrying in ${event.retryInMs} ms`;
    case 'progress':
      return `blob ${event.sha256.slice(0, 12)}… ${event.received}/${event.total} chunks`;
  }
}

/** The relay's PeerJS server, from `--server` (its HTTP origin). */
function signalingOf(args: ParsedArgs, io: Io): SignalingAddress {
  const url = new URL(flag(args, 'server') ?? io.env['PATCHCAST_SERVER'] ?? 'http://127.0.0.1:8787');
  const secure = url.protocol === 'https:';
  return { host: url.hostname, port: Number(url.port || (secure ? 443 : 80)), path: '/peerjs', secure };
}

function connectorOf(args: ParsedArgs): Connector {
  const ws = flag(args, 'ws');
  if (ws) return wsConnector(ws);
  const tcp = flag(args, 'tcp') ?? '127.0.0.1:8788';
  const m = /^(.+):(\d+)$/.exec(tcp);
  if (!m) throw new CliError('--tcp must be HOST:PORT', 2);
  return tcpConnector(m[1]!.replace(/^\[(.*)\]$/, '$1'), Number(m[2]));
}

/** Runs `play` until SIGINT/SIGTERM (or, with --once, until up to date). */
export async function play(args: ParsedArgs, io: Io): Promise<number> {
  const room = flag(args, 'room');
  const keys = flags(args, 'key');
  if (!room || keys.length === 0) throw new CliError('--room and --key are required', 2);
  let trusted;
  try {
    trusted = await trustKeys(keys);
  } catch {
    throw new CliError('--key must be a base64url Ed25519 public key', 2);
  }
  const cacheDir = flag(args, 'cache');
  const json = args.bools.has('json');
  const once = args.bools.has('once');
  let relaySeq = -1;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((r) => (finish = r));
  const holder: { client: PatchClient | null } = { client: null };
  const swarm = args.bools.has('p2p')
    ? await openClientSwarm({
        signaling: signalingOf(args, io),
        iceServers: flags(args, 'ice').map((urls) => ({ urls })),
        onPeerRelease: (signed) => holder.client?.offerRelease(signed),
      })
    : undefined;
  const client: PatchClient = new PatchClient({
    ...(swarm ? { swarm } : {}),
    room,
    trustedKeys: trusted,
    connect: connectorOf(args),
    clientId: flag(args, 'client-id') ?? `play-${randomBytes(4).toString('hex')}`,
    platform: flag(args, 'platform') ?? `patchcast play (Node ${process.version})`,
    cache: cacheDir ? new DirCache(resolve(cacheDir)) : new MemoryCache(),
    onEvent: (event) => {
      if (event.type === 'progress' && !json) return;
      io.out(json ? JSON.stringify(event) : describe(event));
      if (event.type === 'connected') relaySeq = event.relaySeq;
      if (
        once &&
        relaySeq >= 0 &&
        client.seq >= relaySeq &&
        (event.type === 'connected' || event.type === 'applied')
      ) {
        finish(0);
      }
    },
  });
  holder.client = client;
  await client.start();
  const timeout = intFlag(args, 'timeout') ?? 30_000;
  const stop = () => finish(0);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const timer = once ? setTimeout(() => finish(client.seq > 0 ? 0 : 1), timeout) : undefined;
  const code = await done;
  clearTimeout(timer);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  client.stop();
  return code;
}
