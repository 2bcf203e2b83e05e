/**
 * The one publisher, used by the admin site and the CLI alike. A publish goes
 * latest → keys → trust → base check → plan → build → sign → upload → publish; a rollback
 * history → keys → trust → base checks → (confirm) → build → sign → publish. Signing happens here,
 * with the caller's key; the relay only ever sees signed releases.
 */
import type { SigningKey } from '../protocol/crypto.ts';
import type { SignedRelease } from '../protocol/release.ts';
import { buildRelease, buildRollback } from './build.ts';
import { LocalCode, RelayError } from './errors.ts';
import { planRelease, type Change } from './plan.ts';
import type { Published, RelayApi } from './relay-api.ts';
import { checkBase, publisherTrust } from './trust.ts';
import { nextUnusedVersion } from './version.ts';

/** Who publishes where. */
export interface PublisherContext {
  readonly api: RelayApi;
  readonly room: string;
  /** The key that signs. */
  readonly key: SigningKey;
  /**
   * Other public keys of the room this publisher trusts (CLI `--trust`; the keys the admin's browser
   * signed with before a rotation). Rotation records the relay serves extend them, each checked.
   */
  readonly pinned?: readonly string[];
  /** The clock releases are dated by (default: now). */
  readonly now?: () => Date;
}

/** A step of a publish or a rollback, reported as it starts (for a status line). */
export type PublishStep = 'latest' | 'trust' | 'plan' | 'sign' | 'upload';

/** What to publish. */
export interface PublishRequest {
  readonly changes: readonly Change[];
  /** The release's label; default: {@link nextUnusedVersion} of the room's history. */
  readonly version?: string;
  readonly notes?: string;
  /** 0–100 for the changed slots; default 100 (everyone). */
  readonly rolloutPercent?: number;
  readonly onStep?: (step: PublishStep) => void;
}

/** A release the relay took. */
export interface PublishOutcome {
  /** The relay's answer: room, seq, version. */
  readonly published: Published;
  /** The signed release as sent. */
  readonly signed: SignedRelease;
  /** The release it was built on (null: the room's first). */
  readonly previous: SignedRelease | null;
  /** The slots it changed. */
  readonly changed: readonly string[];
}

/**
 * The label to propose for a room's next release: one no release in its history used (`1.0.2` is
 * not proposed again after a rollback to `1.0.1`).
 */
export async function proposeVersion(api: RelayApi, room: string): Promise<string> {
  return nextUnusedVersion(await api.history(room));
}

/** Refuses to build on `base` unless a trusted key signed it; `what` names it in the error. */
export async function mustTrust(
  ctx: PublisherContext,
  bases: readonly (readonly [what: string, base: SignedRelease])[],
): Promise<void> {
  const keys = await ctx.api.keys(ctx.room).catch(() => null);
  const trusted = await publisherTrust(ctx.room, ctx.key.publicKey, ctx.pinned ?? [], keys?.rotations ?? []);
  for (const [what, base] of bases) {
    const checked = await checkBase(base, ctx.room, trusted);
    if (!checked.ok) {
      throw new RelayError(checked.code, `not building on ${what} from the relay: ${checked.message}`, {
        untrusted: what,
      });
    }
  }
}

/** Publishes `request.changes` on top of the room's live release. */
export async function publishChanges(
  ctx: PublisherContext,
  request: PublishRequest,
): Promise<PublishOutcome> {
  const step = request.onStep ?? (() => {});
  step('latest');
  const previous = await ctx.api.latest(ctx.room);
  step('trust');
  if (previous) await mustTrust(ctx, [['the live release', previous]]);
  step('plan');
  // One request for the label's history and the seq floor (a history is up to 200 signed releases).
  const log = previous || request.version === undefined ? await ctx.api.releaseLog(ctx.room) : null;
  const version = request.version ?? nextUnusedVersion(log?.releases ?? []);
  const plan = await planRelease(previous?.release ?? null, request.changes, {
    version,
    ...(request.rolloutPercent === undefined ? {} : { rolloutPercent: request.rolloutPercent }),
    liveBlob: (sha) => ctx.api.blob(sha),
  });
  step('sign');
  // Above every seq the relay accepted or reserved (a halted guarded rollout's unused last step).
  const floor = Math.max(previous?.release.seq ?? 0, previous ? (log?.lastSeq ?? 0) : 0);
  const built = await buildRelease({
    room: ctx.room,
    key: ctx.key,
    previous: previous?.release ?? null,
    seq: floor + 1,
    version,
    ...(request.notes ? { notes: request.notes } : {}),
    slots: plan.slots,
    remove: plan.remove,
    ...(ctx.now ? { now: ctx.now() } : {}),
  });
  step('upload');
  const published = await ctx.api.publish(built.signed, built.blobs, ctx.key.publicKey);
  return { published, signed: built.signed, previous, changed: plan.changed };
}

/** What to roll back to. */
export interface RollbackRequest {
  readonly toSeq: number;
  /** Default: the target's label (the same content keeps its label). */
  readonly version?: string;
  /**
   * Asked after the checks, before signing (the admin's confirmation dialog); false cancels. Gets the
   * target and the live release.
   */
  readonly confirm?: (target: SignedRelease, live: SignedRelease) => Promise<boolean>;
  readonly onStep?: (step: PublishStep) => void;
}

/** A rollback the relay took. */
export interface RollbackOutcome {
  readonly published: Published;
  readonly signed: SignedRelease;
  readonly target: SignedRelease;
  readonly previous: SignedRelease;
}

/**
 * Publishes a new release above the room's highest seq whose slots are those of release `toSeq`; the
 * relay holds their blobs already, so nothing is uploaded. Null when `confirm` said no.
 */
export async function rollbackTo(
  ctx: PublisherContext,
  request: RollbackRequest,
): Promise<RollbackOutcome | null> {
  const step = request.onStep ?? (() => {});
  step('latest');
  const history = await ctx.api.history(ctx.room);
  const live = history[0];
  const target = history.find((s) => s.release.seq === request.toSeq);
  if (!live || !target) {
    throw new RelayError(
      LocalCode.NO_SUCH_RELEASE,
      `room ${ctx.room} has no release with seq ${request.toSeq}` +
        (live ? ` (seqs ${history.at(-1)!.release.seq}–${live.release.seq})` : ''),
    );
  }
  if (target === live) {
    throw new RelayError(LocalCode.NOTHING_TO_PUBLISH, `release ${request.toSeq} is already the live one`);
  }
  step('trust');
  await mustTrust(ctx, [
    ['the live release', live],
    [`release ${request.toSeq}`, target],
  ]);
  if (request.confirm && !(await request.confirm(target, live))) return null;
  step('sign');
  const signed = await buildRollback({
    current: live.release,
    target: target.release,
    key: ctx.key,
    ...(request.version === undefined ? {} : { version: request.version }),
    ...(ctx.now ? { now: ctx.now() } : {}),
  });
  step('upload');
  const published = await ctx.api.publish(signed, new Map(), ctx.key.publicKey);
  return { published, signed, target, previous: live };
}
