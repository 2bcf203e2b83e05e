/**
 * Guarded rollouts on the relay (see `protocol/plan.ts`): it holds each room's plan — pre-signed
 * steps and a halt — and publishes the next step when a dwell passed with the exposed players'
 * failure rate at or below the plan's threshold, or the halt as soon as the rate goes above it. Every
 * release it publishes goes through the relay's own publish (so `acceptRelease` and the content
 * checks), and through `acceptRelease` again on each player. While a plan runs, nothing else is
 * published in its room. Plans are persisted (`store/plan-files.ts`) and resumed after a restart.
 */
import {
  ErrorCode,
  MAX_CLOCK_SKEW_MS,
  PLAN_GRACE_MS,
  PlanStatus,
  acceptRelease,
  fail,
  parsePlanBody,
  parseSignedPlanCommand,
  verifyPlanCommand,
  type PlanState,
  type SignedRelease,
} from '../../protocol/index.ts';
import { latestOf } from '../store/store.ts';
import { loadPlanFiles, savePlanFile, type StoredPlan } from '../store/plan-files.ts';
import type { ConnectedPlayer } from './adoption.ts';
import type { Refusal, Relay } from './relay.ts';
import { sameContent } from './versions.ts';

/** Options of {@link PlanRunner}. */
export interface PlanRunnerOptions {
  readonly dataDir: string | null;
  readonly log?: (message: string) => void;
  readonly now?: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * How long past its dwell a step waits for connected players that have not answered it yet (still
 * fetching or trying it): at least one more dwell, and never less than this.
 */
export const STRAGGLER_WAIT_MS = 30_000;

/** The share of a step's changed slots that its rollout exposes (100 when it has no rollout). */
function percentOf(signed: SignedRelease, slots: readonly string[]): number {
  const first = slots[0];
  const slot = first === undefined ? undefined : signed.release.slots[first];
  return slot?.rollout?.percent ?? 100;
}

/** See the file comment. */
export class PlanRunner {
  private readonly plans = new Map<string, StoredPlan>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly busy = new Set<string>();
  /** The signature of the one release the runner is publishing now (the publish gate lets it by). */
  private allowed: string | null = null;
  private readonly log: (message: string) => void;
  private readonly now: () => number;
  private closed = false;
  /**
   * The room's players connected now (the hub's; none until the server wires it): at a dwell's end a
   * step waits for those that have not answered it yet (see {@link STRAGGLER_WAIT_MS}).
   */
  connected: (room: string) => readonly ConnectedPlayer[] = () => [];

  constructor(
    private readonly relay: Relay,
    private readonly options: PlanRunnerOptions,
  ) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? Date.now;
    relay.adoption.onChange((room) => {
      if (this.plans.get(room)?.status === PlanStatus.running) void this.tick(room);
    });
  }

  /** Loads the stored plans and resumes the running ones. */
  async load(): Promise<void> {
    if (this.options.dataDir === null) return;
    for (const plan of await loadPlanFiles(this.options.dataDir, this.log)) {
      this.plans.set(plan.room, plan);
      if (plan.status === PlanStatus.running) {
        this.log(
          `resuming the guarded rollout of room ${plan.room} at step ${plan.step + 1}/${plan.steps.length}`,
        );
        void this.tick(plan.room);
      }
    }
  }

  /** Stops every timer (the relay closes). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** A refusal of `signed` while the room's plan runs, unless it is the runner's own publish. */
  gate(room: string, signed: SignedRelease): Refusal | null {
    const plan = this.plans.get(room);
    if (plan?.status !== PlanStatus.running || signed.sig === this.allowed) return null;
    return fail(
      ErrorCode.BAD_PLAN,
      `a guarded rollout runs in room "${room}" (step ${plan.step + 1} of ${plan.steps.length}): halt it, or wait for it to end`,
    );
  }

  /** After a halt: the seq of the last step, never published, which the next release must go above. */
  reservedSeq(room: string): number {
    const plan = this.plans.get(room);
    return plan?.status === PlanStatus.halted ? (plan.steps.at(-1)?.signed.release.seq ?? 0) : 0;
  }

  /** The room's current or last plan, with its exposure; null when it never had one. */
  state(room: string): PlanState | null {
    const plan = this.plans.get(room);
    if (!plan) return null;
    const { exposed, failing } = this.exposureOf(plan);
    return {
      room,
      id: plan.id,
      status: plan.status,
      step: plan.step,
      steps: plan.steps.map((s) => ({
        seq: s.signed.release.seq,
        percent: s.percent,
        ...(s.publishedAt === undefined ? {} : { publishedAt: iso(s.publishedAt) }),
      })),
      haltSeq: plan.halt.release.seq,
      baseSeq: plan.baseSeq,
      slots: plan.slots,
      dwellMs: plan.dwellMs,
      haltAbove: plan.haltAbove,
      startedAt: iso(plan.startedAt),
      stepStartedAt: iso(plan.stepStartedAt),
      deadline: iso(plan.deadline),
      exposed,
      failing,
      ...(plan.endedAt === undefined ? {} : { endedAt: iso(plan.endedAt) }),
      ...(plan.reason === undefined ? {} : { reason: plan.reason.slice(0, 400) }),
    };
  }

  private exposureOf(plan: StoredPlan): { exposed: number; failing: number } {
    const seqs = plan.steps.filter((s) => s.publishedAt !== undefined).map((s) => s.signed.release.seq);
    return this.relay.adoption.exposure(plan.room, seqs, plan.slots);
  }

  /** Takes a plan whose first step is the room's live release (`POST /api/rooms/:room/plans`). */
  async start(room: string, body: unknown): Promise<{ ok: true; state: PlanState } | Refusal> {
    const parsed = parsePlanBody(body);
    if (!parsed.ok) return parsed;
    const { steps: candidates, halt: haltCandidate, dwellMs, haltAbove } = parsed.value;
    const history = this.relay.history(room);
    const trusted = this.relay.trustedKeys(room);
    if (!history || !trusted) return fail(ErrorCode.NO_SUCH_ROOM, `room "${room}" does not exist`);
    if (this.plans.get(room)?.status === PlanStatus.running) {
      return fail(ErrorCode.BAD_PLAN, `a guarded rollout already runs in room "${room}"`);
    }
    const [live, base] = history;
    const first = parseFirst(candidates[0], live);
    if (!first)
      return fail(ErrorCode.BAD_PLAN, 'the first step must be the room’s live release: publish it first');
    if (!base)
      return fail(ErrorCode.BAD_PLAN, 'a guarded rollout needs a release before it, for its halt to restore');
    const now = this.now();
    const check = async (candidate: unknown, seq: number, what: string) => {
      const accepted = await acceptRelease({
        candidate,
        room,
        trustedKeys: trusted,
        current: { seq: seq - 1 },
        now,
      });
      if (!accepted.ok) return fail(accepted.code, `${what}: ${accepted.message}`);
      if (accepted.value.release.seq !== seq)
        return fail(ErrorCode.BAD_PLAN, `${what} has seq ${accepted.value.release.seq}, not ${seq}`);
      return accepted;
    };
    const k = candidates.length;
    const s0 = first.release.seq;
    const steps: SignedRelease[] = [first];
    for (let i = 1; i < k; i++) {
      const seq = i === k - 1 ? s0 + k : s0 + i;
      const step = await check(candidates[i], seq, `step ${i + 1}`);
      if (!step.ok) return step;
      if (!sameContent(step.value.release, first.release))
        return fail(ErrorCode.BAD_PLAN, `step ${i + 1} has other content than step 1`);
      steps.push(step.value);
    }
    const halt = await check(haltCandidate, s0 + k - 1, 'the halt');
    if (!halt.ok) return halt;
    if (!sameContent(halt.value.release, base.release))
      return fail(ErrorCode.BAD_PLAN, `the halt must restore the content of seq ${base.release.seq}`);
    const created = Date.parse(halt.value.release.createdAt);
    if (Date.parse(halt.value.release.expiresAt) > created + k * dwellMs + PLAN_GRACE_MS + MAX_CLOCK_SKEW_MS)
      return fail(
        ErrorCode.BAD_PLAN,
        'the halt must expire with the plan (its start, every dwell and the grace)',
      );
    const slots = Object.keys(first.release.slots).filter(
      (name) => base.release.slots[name]?.sha256 !== first.release.slots[name]?.sha256,
    );
    if (slots.length === 0) return fail(ErrorCode.BAD_PLAN, 'the plan changes no slot');
    const percents = steps.map((s) => percentOf(s, slots));
    if (percents.some((p, i) => i > 0 && p <= percents[i - 1]!) || percents.at(-1) !== 100)
      return fail(ErrorCode.BAD_PLAN, `step percents must rise to 100 (got ${percents.join(', ')})`);
    const plan: StoredPlan = {
      format: 1,
      room,
      id: s0,
      status: PlanStatus.running,
      step: 0,
      steps: steps.map((signed, i) => ({
        signed,
        percent: percents[i]!,
        ...(i === 0 ? { publishedAt: now } : {}),
      })),
      halt: halt.value,
      baseSeq: base.release.seq,
      slots,
      dwellMs,
      haltAbove,
      startedAt: now,
      stepStartedAt: now,
      deadline: created + k * dwellMs + PLAN_GRACE_MS,
    };
    this.plans.set(room, plan);
    await this.save(plan);
    this.schedule(plan);
    // Players may have failed the first step already, between its publish and this plan.
    void this.tick(room);
    return { ok: true, state: this.state(room)! };
  }

  /** A signed command by hand: halt now, or advance to the next step now. */
  async command(room: string, body: unknown): Promise<{ ok: true; state: PlanState } | Refusal> {
    const parsed = parseSignedPlanCommand(body);
    if (!parsed.ok) return parsed;
    const { command } = parsed.value;
    const trusted = this.relay.trustedKeys(room);
    if (command.room !== room) return fail(ErrorCode.WRONG_ROOM, `the command is for room "${command.room}"`);
    if (!trusted || ![...trusted.values()].includes(parsed.value.publicKey))
      return fail(ErrorCode.NOT_AUTHORIZED, 'the command is not signed by a key the room trusts');
    if (!(await verifyPlanCommand(parsed.value)))
      return fail(ErrorCode.BAD_SIGNATURE, 'the command’s signature does not verify');
    if (Math.abs(Date.parse(command.at) - this.now()) > MAX_CLOCK_SKEW_MS)
      return fail(ErrorCode.EXPIRED, 'the command is too old (or from the future)');
    const plan = this.plans.get(room);
    if (!plan || plan.id !== command.plan || plan.status !== PlanStatus.running)
      return fail(ErrorCode.NO_SUCH_PLAN, `no guarded rollout ${command.plan} runs in room "${room}"`);
    if (plan.step === command.step && !this.busy.has(room)) {
      this.busy.add(room);
      try {
        if (command.action === 'halt') await this.halt(plan, 'halted by hand');
        else await this.advance(plan);
      } finally {
        this.busy.delete(room);
      }
    }
    return { ok: true, state: this.state(room)! };
  }

  /** Connected players that said nothing yet of a changed slot of the plan's current step. */
  private pending(plan: StoredPlan): number {
    const current = plan.steps[plan.step]?.signed;
    if (!current) return 0;
    const counts = this.relay.adoption.count(current, this.connected(plan.room), true);
    return Math.max(0, ...plan.slots.map((slot) => counts.slots[slot]?.pending ?? 0));
  }

  private schedule(plan: StoredPlan, inMs?: number): void {
    clearTimeout(this.timers.get(plan.room));
    if (this.closed || plan.status !== PlanStatus.running) return;
    const due = inMs ?? Math.min(plan.stepStartedAt + plan.dwellMs, plan.deadline) - this.now();
    const timer = setTimeout(() => void this.tick(plan.room), Math.max(0, due));
    timer.unref?.();
    this.timers.set(plan.room, timer);
  }

  /** Looks at a running plan: halt, advance, or wait. */
  private async tick(room: string): Promise<void> {
    const plan = this.plans.get(room);
    if (this.closed || !plan || plan.status !== PlanStatus.running || this.busy.has(room)) return;
    this.busy.add(room);
    try {
      const now = this.now();
      const live = latestOf(this.relay.store.room(room));
      if (live && live.release.seq !== plan.steps[plan.step]?.signed.release.seq) {
        return await this.end(plan, PlanStatus.ended, `seq ${live.release.seq} superseded it`);
      }
      const { exposed, failing } = this.exposureOf(plan);
      if (exposed > 0 && failing / exposed > plan.haltAbove) {
        const why = `${failing} of ${exposed} exposed players failed (${pct(failing / exposed)} > ${pct(plan.haltAbove)})`;
        return await this.halt(plan, why);
      }
      if (now >= plan.deadline) return await this.end(plan, PlanStatus.ended, 'its deadline passed');
      const dwelt = now >= plan.stepStartedAt + plan.dwellMs;
      // Players still fetching or trying the step have not said yet: they get a while longer.
      const grace = Math.max(plan.dwellMs, STRAGGLER_WAIT_MS);
      const waiting = dwelt && now < plan.stepStartedAt + plan.dwellMs + grace && this.pending(plan) > 0;
      if (dwelt && !waiting) await this.advance(plan);
      else this.schedule(plan, waiting ? Math.min(250, plan.dwellMs) : undefined);
    } finally {
      this.busy.delete(room);
    }
  }

  private async publish(plan: StoredPlan, signed: SignedRelease): Promise<Refusal | null> {
    this.allowed = signed.sig;
    try {
      const done = await this.relay.publish({ room: plan.room, candidate: signed, blobs: new Map() });
      return done.ok ? null : done;
    } finally {
      this.allowed = null;
    }
  }

  private async advance(plan: StoredPlan): Promise<void> {
    const next = plan.steps[plan.step + 1];
    if (!next) return this.end(plan, PlanStatus.done, 'every step was published');
    const refused = await this.publish(plan, next.signed);
    if (refused)
      return this.end(
        plan,
        PlanStatus.ended,
        `the relay refused step ${plan.step + 2}: ${refused.code}: ${refused.message}`,
      );
    const now = this.now();
    next.publishedAt = now;
    plan.step++;
    plan.stepStartedAt = now;
    this.log(
      `room ${plan.room}: guarded rollout at step ${plan.step + 1}/${plan.steps.length} (${next.percent}%)`,
    );
    if (plan.step === plan.steps.length - 1)
      return this.end(plan, PlanStatus.done, 'every step was published');
    await this.save(plan);
    this.schedule(plan);
  }

  private async halt(plan: StoredPlan, why: string): Promise<void> {
    const refused = await this.publish(plan, plan.halt);
    if (refused)
      return this.end(
        plan,
        PlanStatus.ended,
        `the relay refused the halt: ${refused.code}: ${refused.message}`,
      );
    this.log(`room ${plan.room}: guarded rollout HALTED at step ${plan.step + 1}: ${why}`);
    await this.end(plan, PlanStatus.halted, why);
  }

  private async end(plan: StoredPlan, status: PlanStatus, why: string): Promise<void> {
    plan.status = status;
    plan.reason = why;
    plan.endedAt = this.now();
    clearTimeout(this.timers.get(plan.room));
    this.timers.delete(plan.room);
    await this.save(plan);
  }

  private async save(plan: StoredPlan): Promise<void> {
    if (this.options.dataDir === null) return;
    await savePlanFile(this.options.dataDir, plan).catch((error: unknown) =>
      this.log(`could not write the plan of room ${plan.room}: ${String(error)}`),
    );
  }
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

/** The first step: the live release itself (same seq and signature), or null. */
function parseFirst(candidate: unknown, live: SignedRelease | undefined): SignedRelease | null {
  if (!live || typeof candidate !== 'object' || candidate === null || !('sig' in candidate)) return null;
  return candidate.sig === live.sig ? live : null;
}
