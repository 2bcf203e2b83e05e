/**
 * `patchcast keys show` and `patchcast keys set`: a room's versioned key set. `set` signs the next
 * set — keys added, keys removed, a threshold — with the key files given, after walking the relay's
 * chain from those keys itself (the relay's own list is never signed on its word).
 */
import type { SigningKey } from '../../protocol/index.ts';
import { changeRoomKeys } from '../../publisher/key-sets.ts';
import { CliError, flag, flags, intFlag, type Io, type OptionSpecs, type ParsedArgs } from './io.ts';
import { loadKey, need, serverOf } from './commands.ts';

/** Help texts. */
export const KEYS_HELP = {
  show: `patchcast keys show --room R [--server URL] [--json]

The room's key set as the relay holds it: version, threshold, key ids, and how many signed records
lead there. (Only what the relay says: players check every record themselves.)`,
  set: `patchcast keys set [--room R] --key KEY.json [--key …] [--add KEY.json|PUBKEY …]
                   [--remove KEYID …] [--threshold N] [--expires 90d|never|ISO-TIME]
                   [--trust PUBKEY …] [--server URL]

Signs and sends the room's next key set (version one above the current): the current keys, plus
--add, minus --remove. It must carry the signatures of --threshold … of the current keys and of the
new set's own, so give every key file needed (--key, and --add as key files). --trust names other
keys you know are the room's, as starting points of the chain. After a key theft: --remove the
stolen key's id (docs/security.md, "Recovering from a stolen or lost key").
--expires gives the new set an expiry (days, hours: 90d, 36h; an ISO time; or never). Without it, a
set that had one hands its lifetime on, from now. Once the room's newest set has expired, the relay
takes no release and players take nothing new (a relay withholding a newer set cannot keep them on
an old one past its expiry): renew it in time, same keys, later expiry: keys set --key K --expires 90d.`,
} as const;

/** The flags of each command. */
export const KEYS_OPTIONS = {
  show: { room: { type: 'string' }, server: { type: 'string' }, json: { type: 'boolean' } },
  set: {
    room: { type: 'string' },
    server: { type: 'string' },
    key: { type: 'string', multiple: true },
    add: { type: 'string', multiple: true },
    remove: { type: 'string', multiple: true },
    threshold: { type: 'string' },
    expires: { type: 'string' },
    trust: { type: 'string', multiple: true },
  },
} as const satisfies Record<string, OptionSpecs>;

/** `keys show` */
export async function keysShow(args: ParsedArgs, io: Io): Promise<number> {
  const room = need(args, 'room');
  const body = await serverOf(args, io).keys(room);
  if (!body) throw new CliError(`no room "${room}" on the relay`, 1, 'NO_SUCH_ROOM');
  if (args.bools.has('json')) {
    io.out(JSON.stringify(body, null, 2));
    return 0;
  }
  io.out(`room ${room}: key set version ${body.version}, threshold ${body.threshold} of ${body.keys.length}`);
  for (const k of body.keys) io.out(`  ${k.keyId}  ${k.publicKey}`);
  io.out(`${body.rotations.length} signed record(s) in the chain`);
  const expires = body.rotations.at(-1)?.keySet.expires;
  if (expires !== undefined) io.out(expiryLine(expires, Date.now()));
  return 0;
}

/** Days before its expiry from which a key set is said to need renewing. */
export const RENEW_WARNING_DAYS = 14;

/** Says when a key set expires, and whether it needs renewing. */
export function expiryLine(expires: string, now: number): string {
  const days = (Date.parse(expires) - now) / 86_400_000;
  if (days < 0)
    return `expired at ${expires}: the relay takes no release until you renew it (keys set --expires 90d)`;
  const when = `expires at ${expires} (in ${days.toFixed(1)} days)`;
  return days < RENEW_WARNING_DAYS ? `${when}: renew it soon (keys set --expires 90d)` : when;
}

/** `--expires`: `90d`, `36h`, an ISO time, or `never` (null); undefined when not given. */
export function expiresOf(args: ParsedArgs, now: Date): string | null | undefined {
  const text = flag(args, 'expires');
  if (text === undefined) return undefined;
  if (text === 'never') return null;
  const m = /^(\d+)(d|h)$/.exec(text);
  const at = m ? now.getTime() + Number(m[1]) * (m[2] === 'd' ? 86_400_000 : 3_600_000) : Date.parse(text);
  if (!Number.isFinite(at) || at <= now.getTime()) {
    throw new CliError('--expires must be a duration (90d, 36h), a future ISO time, or never', 2);
  }
  return new Date(at).toISOString();
}

/** A `--add` value: a key file (its key signs too) or a public key. */
async function added(value: string): Promise<{ publicKey: string; signer: SigningKey | null }> {
  if (/^[A-Za-z0-9_-]{43}$/.test(value)) return { publicKey: value, signer: null };
  const { key } = await loadKey(value);
  return { publicKey: key.publicKey, signer: key };
}

/** `keys set` */
export async function keysSet(args: ParsedArgs, io: Io): Promise<number> {
  const loaded = await Promise.all(flags(args, 'key').map((path) => loadKey(path)));
  if (loaded.length === 0) throw new CliError('--key is required (a key file of the room)', 2);
  const signers = loaded.map((l) => l.key);
  const room = flag(args, 'room') ?? loaded.find((l) => l.room !== undefined)?.room;
  if (!room) throw new CliError('--room is required (the key files name no room)', 2);
  const adds = await Promise.all(flags(args, 'add').map(added));
  const threshold = intFlag(args, 'threshold');
  if (threshold !== undefined && !(threshold >= 1)) throw new CliError('--threshold must be 1 or more', 2);
  const now = new Date();
  const expires = expiresOf(args, now);
  const answer = await changeRoomKeys(serverOf(args, io), {
    room,
    now,
    signers: [...signers, ...adds.flatMap((a) => (a.signer ? [a.signer] : []))],
    trusted: flags(args, 'trust'),
    change: {
      add: adds.map((a) => a.publicKey),
      remove: flags(args, 'remove'),
      ...(threshold === undefined ? {} : { threshold }),
      ...(expires === undefined ? {} : { expires }),
    },
  });
  io.out(
    `room ${room}: key set version ${answer.version}, threshold ${answer.threshold} of ${answer.keys.length}`,
  );
  for (const k of answer.keys) io.out(`  ${k.keyId}`);
  const newest = answer.rotations.at(-1)?.keySet.expires;
  if (newest !== undefined) io.out(expiryLine(newest, now.getTime()));
  return 0;
}
