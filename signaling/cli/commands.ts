/**
 * The CLI's relay commands besides publishing: keygen, room create, status, history; and what every
 * relay command shares (the relay's address, the key file). `publish` and `rollback` are in
 * `publish.ts`.
 */
import { readFile, stat } from 'node:fs/promises';
import {
  ErrorCode,
  changedSlots,
  fromKeyFile,
  generateSigningKey,
  genesisKeySet,
  parseKeyFile,
  signRotation,
  toKeyFile,
  type RosterClient,
  type SigningKey,
} from '../../protocol/index.ts';
import { RelayError } from '../../publisher/errors.ts';
import { RelayApi } from '../../publisher/relay-api.ts';
import { writeFileAtomic } from '../store/atomic.ts';
import { nodeFetch } from './http-fetch.ts';
import { signedRoster } from './roster-ws.ts';
import { adoptionJson, adoptionLines, statusAdoption } from './status-adoption.ts';
import { clientOperatorToken } from './operator-token.ts';
import { CliError, flag, type Io, type OptionSpecs, type ParsedArgs } from './io.ts';

/** Help texts. */
export const HELP = {
  keygen: `patchcast keygen --out key.json [--room R] [--force]

Writes a new Ed25519 room key (file mode 0600). Keep it secret: it can publish to the room.`,
  roomCreate: `patchcast room create --room R --key key.json --operator-token-file F [--server URL]

Creates room R on the relay with the key as its room key (a record signed by the key itself). Only an
operator of the relay may create rooms: give the relay's operator token (the file serve printed, or
PATCHCAST_OPERATOR_TOKEN), unless the relay lets anyone create rooms (serve's open-rooms mode).`,
  status: `patchcast status --room R [--key key.json] [--server URL] [--json]

The newest release's adoption per slot (players that applied it, failed it — and what they run
instead —, were skipped by its rollout, or are pending), a running guarded rollout, and the connected
clients of a room: transport, platform, what each applied, heartbeats, ack errors. Per-client entries
need --key (a key the room trusts signs the relay's challenge); without it, only their number.
Admin pages and tools are listed but never counted as players.`,
  history: `patchcast history --room R [--server URL] [--json]

Every release of a room, newest first, with the slots each one changed.`,
} as const;

/** The flags of each command here (anything else is a usage error). */
export const OPTIONS = {
  keygen: { out: { type: 'string' }, room: { type: 'string' }, force: { type: 'boolean' } },
  roomCreate: {
    room: { type: 'string' },
    key: { type: 'string' },
    server: { type: 'string' },
    'operator-token-file': { type: 'string' },
  },
  status: {
    room: { type: 'string' },
    key: { type: 'string' },
    server: { type: 'string' },
    json: { type: 'boolean' },
  },
  history: { room: { type: 'string' }, server: { type: 'string' }, json: { type: 'boolean' } },
} as const satisfies Record<string, OptionSpecs>;

/**
 * The relay: `--server`, `PATCHCAST_SERVER`, or the local default; with the operator token when the
 * command may create a room.
 */
export function serverOf(args: ParsedArgs, io: Io, operatorToken: string | null = null): RelayApi {
  return new RelayApi(
    flag(args, 'server') ?? io.env['PATCHCAST_SERVER'] ?? 'http://127.0.0.1:8787',
    nodeFetch(),
    operatorToken,
  );
}

/** A required flag's value (a usage error when missing). */
export function need(args: ParsedArgs, name: string): string {
  const value = flag(args, name);
  if (value === undefined || value === '') throw new CliError(`--${name} is required`, 2);
  return value;
}

/** Reads and checks a key file. */
export async function loadKey(path: string): Promise<{ key: SigningKey; room: string | undefined }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CliError(
      `cannot read key file ${path}: ${error instanceof Error ? error.message : String(error)}`,
      2,
    );
  }
  const parsed = parseKeyFile(json);
  if (!parsed.ok) throw new CliError(`${path}: ${parsed.message}`, 2);
  try {
    return { key: await fromKeyFile(parsed.value), room: parsed.value.room };
  } catch (error) {
    throw new CliError(`${path}: ${error instanceof Error ? error.message : String(error)}`, 2);
  }
}

/** The key of `--key` and the room (`--room`, else the one the key file names). */
export async function keyAndRoom(args: ParsedArgs): Promise<{ key: SigningKey; room: string }> {
  const { key, room: fileRoom } = await loadKey(need(args, 'key'));
  const room = flag(args, 'room') ?? fileRoom;
  if (!room) throw new CliError('--room is required (the key file names no room)', 2);
  return { key, room };
}

/** `keygen` */
export async function keygen(args: ParsedArgs, io: Io): Promise<number> {
  const out = need(args, 'out');
  const exists = await stat(out).then(
    () => true,
    () => false,
  );
  if (exists && !args.bools.has('force')) throw new CliError(`${out} exists; use --force to replace it`, 2);
  const key = await generateSigningKey(true);
  const file = await toKeyFile(key, flag(args, 'room'));
  await writeFileAtomic(out, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  io.out(`wrote ${out} (mode 0600)`);
  io.out(`key id      ${key.keyId}`);
  io.out(`public key  ${key.publicKey}`);
  return 0;
}

/** `room create` */
export async function roomCreate(args: ParsedArgs, io: Io): Promise<number> {
  const { key, room } = await keyAndRoom(args);
  const api = serverOf(args, io, await clientOperatorToken(flag(args, 'operator-token-file'), io.env));
  const record = await signRotation(genesisKeySet(room, [key.publicKey]), [key]);
  try {
    await api.rotate(room, record);
  } catch (error) {
    // A room that exists and already trusts this key is fine.
    if (
      error instanceof RelayError &&
      (error.code === ErrorCode.UNKNOWN_KEY || error.code === ErrorCode.STALE_KEY_SET)
    ) {
      const keys = await api.keys(room).catch(() => null);
      if (keys?.keys.some((k) => k.keyId === key.keyId)) {
        io.out(`room ${room} exists and trusts key ${key.keyId}`);
        return 0;
      }
    }
    throw error;
  }
  io.out(`room ${room} on ${api.base} trusts key ${key.keyId}`);
  return 0;
}

function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

/** Client text, shown as text: control characters are made visible. */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `status` */
export async function status(args: ParsedArgs, io: Io): Promise<number> {
  const keyPath = flag(args, 'key');
  if (keyPath === undefined) {
    const room = need(args, 'room');
    const api = serverOf(args, io);
    const [counts, adoption] = await Promise.all([api.roster(room), statusAdoption(api, room)]);
    if (args.bools.has('json')) {
      io.out(JSON.stringify({ ...counts, ...adoptionJson(adoption) }, null, 2));
      return 0;
    }
    const n = counts.count ?? counts.clients.length;
    io.out(`room ${room}: relay seq ${counts.seq}, ${n} client(s) (per-client entries need --key)`);
    for (const line of adoptionLines(adoption)) io.out(line);
    return 0;
  }
  const { key, room: fileRoom } = await loadKey(keyPath);
  const room = flag(args, 'room') ?? fileRoom;
  if (room === undefined) throw new CliError('--room is required (the key file names no room)', 2);
  const server = flag(args, 'server') ?? io.env['PATCHCAST_SERVER'] ?? 'http://127.0.0.1:8787';
  const [roster, adoption] = await Promise.all([
    signedRoster(server, room, key),
    statusAdoption(serverOf(args, io), room),
  ]);
  if (args.bools.has('json')) {
    io.out(JSON.stringify({ ...roster, ...adoptionJson(adoption) }, null, 2));
    return 0;
  }
  io.out(`room ${room}: relay seq ${roster.seq}, ${roster.clients.length} client(s)`);
  for (const line of adoptionLines(adoption)) io.out(line);
  if (roster.clients.length === 0) return 0;
  const rows = [
    ['CLIENT', 'ROLE', 'TRANSPORT', 'PLATFORM', 'SEQ', 'SLOTS', 'PEERS', 'HEARTBEAT', 'LAST ACK'],
  ];
  for (const c of roster.clients) {
    const slots = Object.entries(c.slots)
      .map(([n, s]) => {
        const instead = s.running === undefined ? '' : `, runs ${s.running?.version ?? 'built-in'}`;
        return `${n}=${s.version}${s.status === 'applied' ? '' : `(${s.status}${instead})`}`;
      })
      .join(' ');
    const ack = c.lastAck
      ? `${c.lastAck.slot} ${c.lastAck.status}${c.lastAck.error ? `: ${c.lastAck.error}` : ''}`
      : '-';
    rows.push(
      [
        c.clientId,
        c.role,
        c.transport,
        c.platform || '-',
        String(c.seq),
        slots || '-',
        String(c.traffic.peers),
        ago(c.lastHeartbeat),
        ack,
      ].map(printable),
    );
  }
  for (const line of table(rows)) io.out(line);
  for (const line of offloadBySeq(roster.clients)) io.out(line);
  return 0;
}

/** Bytes from the relay and from peers, summed over the clients on each seq, and the offload ratio. */
function offloadBySeq(clients: readonly RosterClient[]): string[] {
  const bySeq = new Map<number, { n: number; relay: number; peers: number }>();
  for (const c of clients) {
    const sum = bySeq.get(c.seq) ?? { n: 0, relay: 0, peers: 0 };
    sum.n++;
    sum.relay += c.traffic.bytesFromRelay;
    sum.peers += c.traffic.bytesFromPeers;
    bySeq.set(c.seq, sum);
  }
  return [...bySeq]
    .sort(([a], [b]) => b - a)
    .map(([seq, s]) => {
      const all = s.relay + s.peers;
      const offload = all > 0 ? `offload ${Math.round((100 * s.peers) / all)}%` : 'no bytes yet';
      return `seq ${seq}: ${s.n} client(s), ${kib(s.relay)} from the relay, ${kib(s.peers)} from peers (${offload})`;
    });
}

function kib(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** `history` */
export async function history(args: ParsedArgs, io: Io): Promise<number> {
  const room = need(args, 'room');
  const releases = await serverOf(args, io).history(room);
  if (args.bools.has('json')) {
    io.out(JSON.stringify({ room, releases }, null, 2));
    return 0;
  }
  if (releases.length === 0) {
    io.out(`room ${room} has no releases`);
    return 0;
  }
  const rows = [['SEQ', 'VERSION', 'CREATED', 'CHANGED', 'NOTES']];
  releases.forEach((signed, i) => {
    const older = releases[i + 1]?.release ?? null;
    const changed = changedSlots(older, signed.release)
      .map((n) => {
        const slot = signed.release.slots[n];
        return slot ? `${n}@${slot.version}(${slot.size}B)` : `-${n}`;
      })
      .join(' ');
    rows.push(
      [
        String(signed.release.seq),
        signed.release.version,
        signed.release.createdAt,
        changed || '-',
        signed.release.notes ?? '',
      ].map(printable),
    );
  });
  for (const line of table(rows)) io.out(line);
  return 0;
}
