/**
 * The CLI's relay commands: keygen, room create, publish, status, history, rollback. Signing happens
 * here, locally; the relay only ever sees signed releases.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import {
  ErrorCode,
  HexColor,
  WellKnownSlot,
  buildRelease,
  buildRollback,
  changedSlots,
  configBytes,
  fromKeyFile,
  generateSigningKey,
  parseConfigBlob,
  parseKeyFile,
  sha256Hex,
  signRotation,
  suggestNextVersion,
  toKeyFile,
  checkBase,
  publisherTrust,
  verifyReleaseSignature,
  type RosterClient,
  type SignedRelease,
  type SigningKey,
  type SlotInput,
  type TextureMime,
} from '../../protocol/index.ts';
import * as v from 'valibot';
import { writeFileAtomic } from '../store/atomic.ts';
import { CliError, flag, flags, intFlag, type Io, type ParsedArgs } from './io.ts';
import { RelayApi } from './relay-api.ts';

/** Help texts. */
export const HELP = {
  keygen: `patchcast keygen --out key.json [--room R] [--force]

Writes a new Ed25519 room key (file mode 0600). Keep it secret: it can publish to the room.`,
  roomCreate: `patchcast room create --room R --key key.json [--server URL]

Creates room R on the relay with the key as its room key (a record signed by the key itself).`,
  publish: `patchcast publish --room R --key key.json [--server URL] [content] [--version V] [--notes TEXT] [--rollout PCT] [--json]

Content (any combination; slots not named carry over from the current release):
  --script FILE        JavaScript logic module (slot logic)
  --python FILE        Python update_ball_position script for seed clients (slot legacy)
  --texture FILE       PNG, JPEG or WebP background (slot background)
  --color '#rrggbb'    background colour (slot theme)
  --ball-color '#rrggbb', --ball-radius N   more of the theme
Signs locally, uploads what the relay lacks, prints the new seq. On refusal, prints the code and
exits with status 1. The current release is built on only if a key we trust signed it: this key,
a --trust PUBKEY (repeatable: another key of the room), or a key they added by rotation.`,
  status: `patchcast status --room R [--server URL] [--json]

The connected clients of a room: transport, platform, what each applied, heartbeats, ack errors.`,
  history: `patchcast history --room R [--server URL] [--json]

Every release of a room, newest first, with the slots each one changed.`,
  rollback: `patchcast rollback --room R --key key.json --to-seq N [--server URL] [--version V] [--trust PUBKEY]

Publishes a new release (higher seq) whose slots are those of release N. Both release N and the
current one must be signed by a key we trust (see publish --help).`,
} as const;

/** The relay URL: `--server`, `PATCHCAST_SERVER`, or the local default. */
export function serverOf(args: ParsedArgs, io: Io): RelayApi {
  return new RelayApi(flag(args, 'server') ?? io.env['PATCHCAST_SERVER'] ?? 'http://127.0.0.1:8787');
}

function need(args: ParsedArgs, name: string): string {
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

async function keyAndRoom(args: ParsedArgs): Promise<{ key: SigningKey; room: string }> {
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
  const api = serverOf(args, io);
  const record = await signRotation(room, key.publicKey, key);
  try {
    await api.rotate(room, record);
  } catch (error) {
    // A room that exists and already trusts this key is fine.
    if (error instanceof CliError && error.code === ErrorCode.UNKNOWN_KEY) {
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

function sniffMime(bytes: Uint8Array, path: string): TextureMime {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (new TextDecoder().decode(bytes.subarray(8, 12)) === 'WEBP') return 'image/webp';
  const ext = extname(path).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return 'image/jpeg';
  if (ext === '.webp') return 'image/webp';
  return 'image/png';
}

async function readInput(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, 2);
  }
}

function colour(args: ParsedArgs, name: string): string | undefined {
  const value = flag(args, name);
  if (value !== undefined && !v.is(HexColor, value)) {
    throw new CliError(`--${name} must be an sRGB colour like '#1e2832'`, 2, ErrorCode.BAD_CONFIG);
  }
  return value;
}

/**
 * Refuses to build on a release the relay sent unless a key we trust signed it — our own, a pinned
 * `--trust` key, or one they reach through the room's rotation records. Otherwise a relay could get
 * our key to sign slots it chose (a publish carries every other slot over; a rollback copies them).
 */
async function mustTrustBase(
  api: RelayApi,
  room: string,
  key: SigningKey,
  args: ParsedArgs,
  base: SignedRelease,
  what: string,
): Promise<void> {
  const keys = await api.keys(room).catch(() => null);
  const trusted = await publisherTrust(room, key.publicKey, flags(args, 'trust'), keys?.rotations ?? []);
  const checked = await checkBase(base, room, trusted);
  if (!checked.ok) {
    throw new CliError(
      `not building on ${what} from the relay: ${checked.message}. If another key of this room signed ` +
        'it, pass that key with --trust <public key>.',
      1,
      checked.code,
    );
  }
}

/** `publish` */
export async function publish(args: ParsedArgs, io: Io): Promise<number> {
  const { key, room } = await keyAndRoom(args);
  const api = serverOf(args, io);
  const previous = await api.latest(room);
  if (previous) await mustTrustBase(api, room, key, args, previous, 'the current release');
  const version = flag(args, 'version') ?? suggestNextVersion(previous?.release.version);
  const rollout = intFlag(args, 'rollout');
  if (rollout !== undefined && !(rollout >= 0 && rollout <= 100))
    throw new CliError('--rollout must be 0–100', 2);
  const common = { version, ...(rollout === undefined ? {} : { rolloutPercent: rollout }) };
  const slots: Record<string, SlotInput> = {};

  const script = flag(args, 'script');
  if (script)
    slots[WellKnownSlot.logic] = { kind: 'script', lang: 'js', bytes: await readInput(script), ...common };
  const python = flag(args, 'python');
  if (python) {
    slots[WellKnownSlot.legacyLogic] = {
      kind: 'script',
      lang: 'python',
      bytes: await readInput(python),
      ...common,
    };
  }
  const texture = flag(args, 'texture');
  if (texture) {
    const bytes = await readInput(texture);
    slots[WellKnownSlot.background] = { kind: 'texture', mime: sniffMime(bytes, texture), bytes, ...common };
  }
  const background = colour(args, 'color');
  const ball = colour(args, 'ball-color');
  const radiusText = flag(args, 'ball-radius');
  if (background !== undefined || ball !== undefined || radiusText !== undefined) {
    // The theme is one JSON blob: start from the current one so other fields are kept.
    let theme: Record<string, unknown> = {};
    const current = previous?.release.slots[WellKnownSlot.theme];
    if (current) {
      const res = await fetch(`${api.base}/api/blobs/${current.sha256}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      if ((await sha256Hex(bytes)) === current.sha256) {
        const parsed = parseConfigBlob(WellKnownSlot.theme, bytes);
        if (parsed.ok) theme = { ...parsed.value };
      }
    }
    if (background !== undefined) theme['background'] = background;
    if (ball !== undefined) theme['ball'] = ball;
    if (radiusText !== undefined) theme['ballRadius'] = Number(radiusText);
    slots[WellKnownSlot.theme] = { kind: 'config', bytes: configBytes(theme), ...common };
  }
  if (Object.keys(slots).length === 0) {
    throw new CliError('nothing to publish: give --script, --python, --texture or --color', 2);
  }
  const notes = flag(args, 'notes');
  const built = await buildRelease({
    room,
    key,
    previous: previous?.release ?? null,
    version,
    ...(notes === undefined ? {} : { notes }),
    slots,
  });
  const published = await api.publish(built.signed, built.blobs, key.publicKey);
  if (args.bools.has('json')) io.out(JSON.stringify(published));
  else {
    const changed = changedSlots(previous?.release ?? null, built.signed.release);
    io.out(
      `published ${room} seq ${published.seq} (version ${published.version}); changed: ${changed.join(', ') || 'none'}`,
    );
  }
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
  const room = need(args, 'room');
  const roster = await serverOf(args, io).clients(room);
  if (args.bools.has('json')) {
    io.out(JSON.stringify(roster, null, 2));
    return 0;
  }
  io.out(`room ${room}: relay seq ${roster.seq}, ${roster.clients.length} client(s)`);
  if (roster.clients.length === 0) return 0;
  const rows = [
    ['CLIENT', 'ROLE', 'TRANSPORT', 'PLATFORM', 'SEQ', 'SLOTS', 'PEERS', 'HEARTBEAT', 'LAST ACK'],
  ];
  for (const c of roster.clients) {
    const slots = Object.entries(c.slots)
      .map(([n, s]) => `${n}=${s.version}${s.status === 'applied' ? '' : `(${s.status})`}`)
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
  const body = await serverOf(args, io).history(room);
  if (args.bools.has('json')) {
    io.out(JSON.stringify(body, null, 2));
    return 0;
  }
  const rows = [['SEQ', 'VERSION', 'CREATED', 'CHANGED', 'NOTES']];
  body.releases.forEach((signed, i) => {
    const older = body.releases[i + 1]?.release ?? null;
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

/** `rollback` */
export async function rollback(args: ParsedArgs, io: Io): Promise<number> {
  const { key, room } = await keyAndRoom(args);
  const toSeq = intFlag(args, 'to-seq');
  if (toSeq === undefined || !Number.isInteger(toSeq)) throw new CliError('--to-seq N is required', 2);
  const api = serverOf(args, io);
  const { releases } = await api.history(room);
  const current = releases[0];
  const target = releases.find((r) => r.release.seq === toSeq);
  if (!current || !target)
    throw new CliError(`room ${room} has no release ${toSeq}`, 1, ErrorCode.NO_SUCH_ROOM);
  if (target === current) throw new CliError(`release ${toSeq} is already the current one`, 2);
  await mustTrustBase(api, room, key, args, current, 'the current release');
  await mustTrustBase(api, room, key, args, target, `release ${toSeq}`);
  const version = flag(args, 'version');
  const signed = await buildRollback({
    current: current.release,
    target: target.release,
    key,
    ...(version === undefined ? {} : { version }),
  });
  const published = await api.publish(signed, new Map());
  io.out(`rolled ${room} back to seq ${toSeq}: new seq ${published.seq} (version ${published.version})`);
  return 0;
}
