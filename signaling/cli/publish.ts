/**
 * `patchcast publish` and `patchcast rollback`: the flags become changes for the one publisher
 * (`publisher/publisher.ts`), which the admin site uses too; signing happens here, locally.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import * as v from 'valibot';
import {
  ErrorCode,
  HexColor,
  SlotName,
  WellKnownSlot,
  parseConfigBlob,
  type TextureMime,
  type ThemeConfig,
} from '../../protocol/index.ts';
import { sniffImageMime } from '../../publisher/content.ts';
import type { Change, SlotContent } from '../../publisher/plan.ts';
import { publishChanges, rollbackTo, type PublisherContext } from '../../publisher/publisher.ts';
import { keyAndRoom, serverOf } from './commands.ts';
import { describeDryRun, setsScripts, startDryRun } from './dry-run.ts';
import { GUARD_HELP, GUARD_OPTIONS, checkCarried, guardOf, publishWithGuard } from './publish-guard.ts';
import { clientOperatorToken } from './operator-token.ts';
import { CliError, flag, flags, intFlag, type Io, type OptionSpecs, type ParsedArgs } from './io.ts';

/** Help texts. */
export const PUBLISH_HELP = {
  publish: `patchcast publish --room R --key key.json [--server URL] [content] [--version V] [--notes TEXT] [--rollout PCT] [--dry-run | --force] [--json]

Content (any combination; slots not named carry over from the current release):
  --slot NAME=KIND:FILE  new content for slot NAME, KIND one of script, texture, config (repeatable);
                         a script FILE ending in .py is Python for seed clients
  --remove NAME          drop slot NAME from the release (repeatable)
  --script FILE          JavaScript logic module (the demo's slot logic)
  --python FILE          Python update_ball_position script for seed-protocol clients (slot seed)
  --texture FILE         PNG, JPEG or WebP background (slot background)
  --color '#rrggbb'      background colour (slot theme)
  --ball-color '#rrggbb', --ball-radius N   more of the theme
The theme flags edit the live theme: the fields given replace its own, the others are kept.
Every JavaScript script set is dry-run first, in the player's sandbox under Node, against the
contract the room declares in its 'contracts' config slot (the one given, else the live one): the
declared function must be exported and each sample call must pass within budget and return the
declared shape; a slot without a declared contract is load-checked. A failure refuses the publish.
  --dry-run              run the checks only; publish nothing
  --force                publish without the dry run
Content equal to what is live is not a change (NOTHING_TO_PUBLISH when nothing else changes).
--version defaults to the next label no release of the room used.
Signs locally, uploads what the relay lacks, prints the new seq. On refusal, prints the code and
exits with status 1. The current release is built on only if a key we trust signed it: this key,
a --trust PUBKEY (repeatable: another key of the room), or a key they added by rotation.
A first publish creates the room: that takes the relay's --operator-token-file (or
PATCHCAST_OPERATOR_TOKEN).
${GUARD_HELP}`,
  rollback: `patchcast rollback --room R --key key.json --to-seq N [--server URL] [--version V] [--trust PUBKEY] [--json]

Publishes a new release (above the highest seq) whose slots are those of release N; a seq the room
does not hold is refused with NO_SUCH_RELEASE. Both release N and the current one must be signed by
a key we trust (see publish --help).`,
} as const;

/** The flags of `publish` and `rollback` (anything else is a usage error). */
export const PUBLISH_OPTIONS = {
  publish: {
    room: { type: 'string' },
    key: { type: 'string' },
    server: { type: 'string' },
    'operator-token-file': { type: 'string' },
    trust: { type: 'string', multiple: true },
    slot: { type: 'string', multiple: true },
    remove: { type: 'string', multiple: true },
    script: { type: 'string' },
    python: { type: 'string' },
    texture: { type: 'string' },
    color: { type: 'string' },
    'ball-color': { type: 'string' },
    'ball-radius': { type: 'string' },
    version: { type: 'string' },
    notes: { type: 'string' },
    rollout: { type: 'string' },
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
    ...GUARD_OPTIONS,
  },
  rollback: {
    room: { type: 'string' },
    key: { type: 'string' },
    server: { type: 'string' },
    trust: { type: 'string', multiple: true },
    'to-seq': { type: 'string' },
    version: { type: 'string' },
    json: { type: 'boolean' },
  },
} as const satisfies Record<string, OptionSpecs>;

async function readInput(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, 2);
  }
}

/** The type of a texture: from its magic bytes; else its extension (and the relay will check). */
function textureMime(bytes: Uint8Array, path: string): TextureMime {
  const sniffed = sniffImageMime(bytes);
  if (sniffed) return sniffed;
  const ext = extname(path).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg') return 'image/jpeg';
  if (ext === '.webp') return 'image/webp';
  return 'image/png';
}

function slotName(name: string, what: string): string {
  if (!v.is(SlotName, name)) {
    throw new CliError(
      `${what}: "${name}" is not a slot name (a-z first, then a-z 0-9 _ -, at most 32)`,
      2,
      ErrorCode.BAD_SLOT,
    );
  }
  return name;
}

/** The content of `--slot NAME=KIND:FILE`. */
async function slotFlag(spec: string): Promise<{ slot: string; content: SlotContent }> {
  const m = /^([^=]+)=(script|texture|config):(.+)$/.exec(spec);
  if (!m)
    throw new CliError(`--slot ${spec}: expected NAME=script:FILE, NAME=texture:FILE or NAME=config:FILE`, 2);
  const slot = slotName(m[1]!, '--slot');
  const path = m[3]!;
  const bytes = await readInput(path);
  switch (m[2]) {
    case 'script':
      return { slot, content: { kind: 'script', bytes, lang: extname(path) === '.py' ? 'python' : 'js' } };
    case 'texture':
      return { slot, content: { kind: 'texture', bytes, mime: textureMime(bytes, path) } };
    default: {
      const parsed = parseConfigBlob(slot, bytes);
      if (!parsed.ok) throw new CliError(`--slot ${slot}: ${path}: ${parsed.message}`, 2, parsed.code);
      return { slot, content: { kind: 'config', bytes } };
    }
  }
}

function colour(args: ParsedArgs, name: string): string | undefined {
  const value = flag(args, name);
  if (value !== undefined && !v.is(HexColor, value)) {
    throw new CliError(`--${name} must be an sRGB colour like '#1e2832'`, 2, ErrorCode.BAD_CONFIG);
  }
  return value?.toLowerCase();
}

/** The theme flags as a patch of the live theme, or null when none is given. */
function themePatch(args: ParsedArgs): ThemeConfig | null {
  const background = colour(args, 'color');
  const ball = colour(args, 'ball-color');
  const radiusText = flag(args, 'ball-radius');
  const radius = radiusText === undefined ? undefined : Number(radiusText);
  if (radius !== undefined && !Number.isFinite(radius)) {
    throw new CliError('--ball-radius must be a number', 2, ErrorCode.BAD_CONFIG);
  }
  if (background === undefined && ball === undefined && radius === undefined) return null;
  return {
    ...(background === undefined ? {} : { background }),
    ...(ball === undefined ? {} : { ball }),
    ...(radius === undefined ? {} : { ballRadius: radius }),
  };
}

/** Every content flag as a change; a slot named twice (or set and removed) is a usage error. */
export async function changesOf(args: ParsedArgs): Promise<Change[]> {
  const sets: { slot: string; content: SlotContent; flag: string }[] = [];
  const script = flag(args, 'script');
  if (script) {
    const bytes = await readInput(script);
    sets.push({
      slot: WellKnownSlot.logic,
      content: { kind: 'script', lang: 'js', bytes },
      flag: '--script',
    });
  }
  const python = flag(args, 'python');
  if (python) {
    const bytes = await readInput(python);
    const content = { kind: 'script', lang: 'python', bytes } as const;
    sets.push({ slot: WellKnownSlot.seedScript, content, flag: '--python' });
  }
  const texture = flag(args, 'texture');
  if (texture) {
    const bytes = await readInput(texture);
    const content = { kind: 'texture', mime: textureMime(bytes, texture), bytes } as const;
    sets.push({ slot: WellKnownSlot.background, content, flag: '--texture' });
  }
  for (const spec of flags(args, 'slot')) sets.push({ ...(await slotFlag(spec)), flag: '--slot' });
  const theme = themePatch(args);
  const removes = flags(args, 'remove').map((n) => slotName(n, '--remove'));

  const named = new Map<string, string>();
  const claim = (slot: string, by: string) => {
    const earlier = named.get(slot);
    if (earlier) throw new CliError(`slot ${slot} is given by both ${earlier} and ${by}`, 2);
    named.set(slot, by);
  };
  for (const s of sets) claim(s.slot, s.flag);
  if (theme) claim(WellKnownSlot.theme, '--color/--ball-color/--ball-radius');
  for (const r of removes) claim(r, '--remove');

  const changes: Change[] = sets.map((s) => ({ op: 'set', slot: s.slot, content: s.content }));
  if (theme) changes.push({ op: 'theme', patch: theme });
  for (const slot of removes) changes.push({ op: 'remove', slot });
  return changes;
}

async function publisherOf(args: ParsedArgs, io: Io): Promise<PublisherContext> {
  const { key, room } = await keyAndRoom(args);
  return {
    api: serverOf(args, io, await clientOperatorToken(flag(args, 'operator-token-file'), io.env)),
    room,
    key,
    pinned: flags(args, 'trust'),
    ...(io.now ? { now: io.now } : {}),
  };
}

/** `publish` */
export async function publish(args: ParsedArgs, io: Io): Promise<number> {
  const rollout = intFlag(args, 'rollout');
  if (rollout !== undefined && !(rollout >= 0 && rollout <= 100)) {
    throw new CliError('--rollout must be a whole percent, 0–100', 2);
  }
  const guard = guardOf(args);
  const asked = await changesOf(args);
  if (asked.length === 0) {
    throw new CliError(
      'nothing to publish: give --slot, --remove, --script, --python, --texture or --color',
      2,
    );
  }
  const dryRunOnly = args.bools.has('dry-run');
  if (dryRunOnly && args.bools.has('force'))
    throw new CliError('--dry-run and --force exclude each other', 2);
  // The sandbox starts now, while the key is read and the relay asked.
  const dryRun = dryRunOnly || (!args.bools.has('force') && setsScripts(asked)) ? startDryRun() : null;
  let ctx: PublisherContext;
  try {
    ctx = await publisherOf(args, io);
  } catch (error) {
    dryRun?.dispose();
    throw error;
  }
  if (dryRun) {
    const results = await dryRun.run(asked, ctx.api, ctx.room);
    // With --json, stdout carries the one JSON answer: the report goes to stderr.
    const report = args.bools.has('json') ? io.err : io.out;
    for (const result of results) report(describeDryRun(result));
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0) {
      throw new CliError(
        `dry run failed for ${failed.map((r) => r.slot).join(', ')}: ${dryRunOnly ? 'nothing published' : 'publish refused (--force publishes anyway)'}`,
        1,
        ErrorCode.BAD_SCRIPT,
      );
    }
    if (dryRunOnly) {
      io.out(`dry run passed (${results.length} script(s)); nothing published`);
      return 0;
    }
  }
  const changes = await checkCarried(ctx, asked, args, io);
  const version = flag(args, 'version');
  const notes = flag(args, 'notes');
  const request = {
    changes,
    ...(version === undefined ? {} : { version }),
    ...(notes === undefined ? {} : { notes }),
  };
  if (guard) return publishWithGuard(ctx, request, guard, args, io);
  const outcome = await publishChanges(ctx, {
    ...request,
    ...(rollout === undefined ? {} : { rolloutPercent: rollout }),
  });
  const { published, changed } = outcome;
  if (args.bools.has('json')) io.out(JSON.stringify(published));
  else {
    io.out(
      `published ${published.room} seq ${published.seq} (version ${published.version}); changed: ${changed.join(', ')}`,
    );
  }
  return 0;
}

/** `rollback` */
export async function rollback(args: ParsedArgs, io: Io): Promise<number> {
  const toSeq = intFlag(args, 'to-seq');
  if (toSeq === undefined || !Number.isInteger(toSeq)) throw new CliError('--to-seq N is required', 2);
  const ctx = await publisherOf(args, io);
  const version = flag(args, 'version');
  const outcome = await rollbackTo(ctx, { toSeq, ...(version === undefined ? {} : { version }) });
  // Without a `confirm`, rollbackTo always goes through.
  if (!outcome) return 1;
  const { published } = outcome;
  if (args.bools.has('json')) io.out(JSON.stringify(published));
  else {
    io.out(
      `rolled ${published.room} back to seq ${toSeq}: new seq ${published.seq} (version ${published.version})`,
    );
  }
  return 0;
}
