/**
 * What `patchcast publish` adds for honest rollouts: the warning (and `--revert-failed`) when the
 * release would keep a slot that failed on players, and guarded rollouts (`--steps 5,25,100 --dwell
 * 60s --halt-above 2%`), whose progress it prints until the plan ends (or, with `--detach`, not).
 */
import type { Change } from '../../publisher/plan.ts';
import {
  adoptionOf,
  checkSteps,
  describePlan,
  publishGuarded,
  watchPlan,
  type GuardOptions,
} from '../../publisher/guarded.ts';
import { carriedFailures, describeCarried, revertChanges } from '../../publisher/known-bad.ts';
import type { PublishRequest, PublisherContext } from '../../publisher/publisher.ts';
import { CliError, flag, type Io, type OptionSpecs, type ParsedArgs } from './io.ts';

/** The flags this file adds to `publish`. */
export const GUARD_OPTIONS = {
  steps: { type: 'string' },
  dwell: { type: 'string' },
  'halt-above': { type: 'string' },
  detach: { type: 'boolean' },
  'revert-failed': { type: 'boolean' },
} as const satisfies OptionSpecs;

/** Their help. */
export const GUARD_HELP = `
Honest rollouts:
  --revert-failed        a slot this release would keep although players failed it in the live
                         release goes back to its content before (without it: a warning on stderr)
  --steps 5,25,100       a guarded rollout: the changed slots reach these percents of players in turn
  --dwell 60s            how long each step is watched (ms, s, m; default 60s)
  --halt-above 2%        halt — the relay publishes the pre-signed previous content — as soon as more
                         than this share of the exposed players failed (default 0%: any failure)
  --detach               start the plan and return; \`patchcast status\` shows its progress
The steps and the halt are signed here, up front; the relay can publish only those.`;

/** `60s`, `1500ms`, `2m` or plain seconds, in milliseconds. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

/** `2%` or `0.02`, as a share 0–1. */
export function parseShare(text: string): number | null {
  const t = text.trim();
  const n = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t);
  return Number.isFinite(n) && n >= 0 && n <= 1 && t !== '' ? n : null;
}

/** The guarded-rollout flags, or null when `--steps` is not given. */
export function guardOf(args: ParsedArgs): GuardOptions | null {
  const stepsText = flag(args, 'steps');
  if (stepsText === undefined) {
    for (const f of ['dwell', 'halt-above'])
      if (flag(args, f) !== undefined) throw new CliError(`--${f} needs --steps`, 2);
    if (args.bools.has('detach')) throw new CliError('--detach needs --steps', 2);
    return null;
  }
  if (flag(args, 'rollout') !== undefined) throw new CliError('give --steps or --rollout, not both', 2);
  const steps = stepsText.split(',').map((s) => Number(s.trim()));
  const bad = checkSteps(steps);
  if (bad) throw new CliError(`--steps ${stepsText}: ${bad}`, 2);
  const dwellMs = parseDuration(flag(args, 'dwell') ?? '60s');
  if (dwellMs === null) throw new CliError('--dwell is a duration such as 60s, 1500ms or 2m', 2);
  const haltAbove = parseShare(flag(args, 'halt-above') ?? '0%');
  if (haltAbove === null) throw new CliError('--halt-above is a share such as 2% or 0.02', 2);
  return { steps, dwellMs, haltAbove };
}

/**
 * The changes, after a look at the live release's adoption: a slot it keeps that players failed is
 * reverted (`--revert-failed`) or warned about. The names of the slots a change touches come from
 * `changing`.
 */
export async function checkCarried(
  ctx: PublisherContext,
  changes: readonly Change[],
  args: ParsedArgs,
  io: Io,
): Promise<Change[]> {
  const changing = changes.map((c) => (c.op === 'theme' ? 'theme' : c.slot));
  const [live, adoption] = await Promise.all([ctx.api.latest(ctx.room), adoptionOf(ctx.api, ctx.room)]);
  const carried = carriedFailures(live, adoption[0], changing);
  if (carried.length === 0) return [...changes];
  if (args.bools.has('revert-failed')) {
    const reverts = await revertChanges(ctx.api, await ctx.api.history(ctx.room), carried);
    for (const c of carried)
      io.err(`reverting slot ${c.slot} (${c.version} failed on ${c.failed} player(s))`);
    return [...changes, ...reverts];
  }
  for (const line of describeCarried(carried)) io.err(`warning: ${line}`);
  io.err('  pass --revert-failed to put it back to its content before, or publish new content for it');
  return [...changes];
}

/** Publishes as a guarded rollout and prints its progress until it ends (or returns at once with --detach). */
export async function publishWithGuard(
  ctx: PublisherContext,
  request: Omit<PublishRequest, 'rolloutPercent'>,
  guard: GuardOptions,
  args: ParsedArgs,
  io: Io,
): Promise<number> {
  const outcome = await publishGuarded(ctx, request, guard);
  const json = args.bools.has('json');
  const { published } = outcome;
  if (!json) {
    io.out(
      `published ${published.room} seq ${published.seq} (version ${published.version}) to ${guard.steps[0]}% as a guarded rollout; changed: ${outcome.changed.join(', ')}`,
    );
  }
  if (args.bools.has('detach')) {
    if (json) io.out(JSON.stringify({ ...published, plan: outcome.plan }));
    else
      io.out(
        `${describePlan(outcome.plan)}\n(detached: patchcast status --room ${ctx.room} shows its progress)`,
      );
    return 0;
  }
  const last = await watchPlan(ctx.api, ctx.room, (state) => {
    if (!json) io.out(describePlan(state));
  });
  if (json) io.out(JSON.stringify({ ...published, plan: last }));
  if (last?.status === 'halted') {
    throw new CliError(`the guarded rollout halted: ${last.reason ?? ''}`, 1);
  }
  return last?.status === 'done' ? 0 : 1;
}
