/**
 * Guarded rollouts, the publisher's side (see `protocol/plan.ts`): sign every step's release and the
 * halt up front, publish the first step with its blobs, hand the rest to the relay as a plan; then
 * watch it, or command it by hand (halt, advance) with a signature of the room key.
 */
import { assembleRelease } from '../protocol/assemble.ts';
import { ErrorCode } from '../protocol/errors.ts';
import {
  MAX_PLAN_STEPS,
  PLAN_GRACE_MS,
  PlanPath,
  PlanStatus,
  parsePlanState,
  signPlanCommand,
  type PlanAction,
  type PlanBody,
  type PlanState,
} from '../protocol/plan.ts';
import type { SignedRelease } from '../protocol/release.ts';
import { adoptionPath, parseAdoptionBody, type AdoptionBody } from '../protocol/adoption.ts';
import { buildRelease } from './build.ts';
import { RelayError } from './errors.ts';
import { planRelease } from './plan.ts';
import {
  mustTrust,
  proposeVersion,
  type PublishOutcome,
  type PublishRequest,
  type PublisherContext,
} from './publisher.ts';
import type { RelayApi } from './relay-api.ts';

/** How a guarded rollout goes. */
export interface GuardOptions {
  /** Percent of players per step, rising, the last 100 (e.g. 5, 25, 100). */
  readonly steps: readonly number[];
  /** How long each step is watched before the next. */
  readonly dwellMs: number;
  /** Halt when more than this share (0–1) of the exposed players failed. */
  readonly haltAbove: number;
}

/** Checks the steps of a plan: 2 to {@link MAX_PLAN_STEPS} rising whole percents ending at 100. */
export function checkSteps(steps: readonly number[]): string | null {
  if (steps.length < 2 || steps.length > MAX_PLAN_STEPS) return `give 2 to ${MAX_PLAN_STEPS} steps`;
  if (steps.some((p) => !Number.isInteger(p) || p < 1 || p > 100))
    return 'each step is a whole percent, 1–100';
  if (steps.some((p, i) => i > 0 && p <= steps[i - 1]!)) return 'steps must rise';
  if (steps.at(-1) !== 100) return 'the last step must be 100';
  return null;
}

/** A guarded rollout that started. */
export interface GuardedOutcome extends PublishOutcome {
  readonly plan: PlanState;
}

/**
 * Publishes `request.changes` as a guarded rollout: step 1 now (with its blobs), the others and the
 * halt pre-signed for the relay. Seqs: steps N+1 … N+k-1, the halt N+k, the last step N+k+1.
 */
export async function publishGuarded(
  ctx: PublisherContext,
  request: Omit<PublishRequest, 'rolloutPercent'>,
  guard: GuardOptions,
): Promise<GuardedOutcome> {
  const bad = checkSteps(guard.steps);
  if (bad) throw new RelayError(ErrorCode.BAD_PLAN, bad);
  const step = request.onStep ?? (() => {});
  step('latest');
  const previous = await ctx.api.latest(ctx.room);
  if (!previous)
    throw new RelayError(ErrorCode.BAD_PLAN, 'a guarded rollout needs a live release to restore on halt');
  step('trust');
  await mustTrust(ctx, [['the live release', previous]]);
  step('plan');
  const version = request.version ?? (await proposeVersion(ctx.api, ctx.room));
  const base = Math.max(previous.release.seq, await ctx.api.lastSeq(ctx.room));
  const k = guard.steps.length;
  const now = ctx.now?.() ?? new Date();
  step('sign');
  const steps: SignedRelease[] = [];
  let blobs = new Map<string, Uint8Array>();
  let changed: string[] = [];
  for (const [i, percent] of guard.steps.entries()) {
    const plan = await planRelease(previous.release, request.changes, {
      version,
      rolloutPercent: percent,
      liveBlob: (sha) => ctx.api.blob(sha),
    });
    const built = await buildRelease({
      room: ctx.room,
      key: ctx.key,
      previous: previous.release,
      seq: i === k - 1 ? base + k + 1 : base + i + 1,
      version,
      notes: `${request.notes ? `${request.notes} · ` : ''}guarded rollout step ${i + 1}/${k}: ${percent}%`,
      slots: plan.slots,
      remove: plan.remove,
      now,
    });
    steps.push(built.signed);
    if (i === 0) [blobs, changed] = [built.blobs, plan.changed];
  }
  const halt = await assembleRelease({
    room: ctx.room,
    key: ctx.key,
    seq: base + k,
    version: previous.release.version,
    notes: `halt of the guarded rollout of ${version}: back to seq ${previous.release.seq}`,
    slots: structuredClone(previous.release.slots),
    now,
    // It expires with the plan: a halt left unused can never be applied later.
    lifetimeMs: k * guard.dwellMs + PLAN_GRACE_MS,
  });
  step('upload');
  const first = steps[0]!;
  const published = await ctx.api.publish(first, blobs, ctx.key.publicKey);
  const body: PlanBody = { steps, halt, dwellMs: guard.dwellMs, haltAbove: guard.haltAbove };
  const plan = await ctx.api.postJson(PlanPath.plans(ctx.room), body, parsePlanState);
  return { published, signed: first, previous, changed, plan };
}

/** The room's current or last guarded rollout; null when it never had one. */
export async function planOf(api: RelayApi, room: string): Promise<PlanState | null> {
  try {
    return await api.getJson(PlanPath.plan(room), parsePlanState);
  } catch (error) {
    if (error instanceof RelayError && error.code === ErrorCode.NO_SUCH_PLAN) return null;
    throw error;
  }
}

/** Halts the running plan now, or publishes its next step now (signed with the room key). */
export async function commandPlan(
  ctx: PublisherContext,
  plan: PlanState,
  action: PlanAction,
): Promise<PlanState> {
  const at = (ctx.now?.() ?? new Date()).toISOString();
  const signed = await signPlanCommand(ctx.key, {
    format: 1,
    room: ctx.room,
    plan: plan.id,
    step: plan.step,
    action,
    at,
  });
  return ctx.api.postJson(PlanPath.command(ctx.room), signed, parsePlanState);
}

/**
 * Polls a plan until it ends (or `signal` aborts), telling `onState` of each change; resolves with
 * its last state.
 */
export async function watchPlan(
  api: RelayApi,
  room: string,
  onState: (state: PlanState) => void,
  options: { readonly intervalMs?: number; readonly signal?: AbortSignal } = {},
): Promise<PlanState | null> {
  let last = '';
  for (;;) {
    const state = await planOf(api, room);
    if (!state) return null;
    const text = JSON.stringify(state);
    if (text !== last) onState(state);
    last = text;
    if (state.status !== PlanStatus.running || options.signal?.aborted) return state;
    await new Promise((r) =>
      setTimeout(r, options.intervalMs ?? Math.min(1000, Math.max(200, state.dwellMs / 4))),
    );
  }
}

/** The adoption counts of a room's releases, newest first (empty: no such room). */
export async function adoptionOf(api: RelayApi, room: string): Promise<AdoptionBody['releases']> {
  try {
    return (await api.getJson(adoptionPath(room), parseAdoptionBody)).releases;
  } catch (error) {
    if (error instanceof RelayError && error.code === ErrorCode.NO_SUCH_ROOM) return [];
    throw error;
  }
}

/** A plan's progress in one line (CLI, logs). */
export function describePlan(plan: PlanState): string {
  const at = plan.steps[plan.step];
  const rate = plan.exposed > 0 ? `${Math.round((1000 * plan.failing) / plan.exposed) / 10}%` : '—';
  const head = `plan ${plan.id}: ${plan.status}, step ${plan.step + 1}/${plan.steps.length} (${at?.percent ?? '?'}%, seq ${at?.seq ?? '?'})`;
  const tail = `${plan.failing}/${plan.exposed} exposed players failed (${rate}; halt above ${Math.round(plan.haltAbove * 1000) / 10}%)`;
  return `${head}, ${tail}${plan.reason ? ` — ${plan.reason}` : ''}`;
}
