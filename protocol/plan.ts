/**
 * Guarded rollouts: a release shipped in steps of exposure (5 % → 25 % → 100 %), each held for a dwell
 * time, halted as soon as too many exposed players fail it. The publisher signs every step's release
 * and a **halt** release (the previous content) up front; the relay only ever publishes those, each
 * through `acceptRelease`, so it never needs the room key.
 *
 * Seqs: the steps take N+1 … N+k-1, the halt N+k, the last step (100 %) N+k+1. So the halt can follow
 * any step but the last, and once the last step is out the halt is below every player's seq and
 * refused (`STALE_SEQ`) — and it expires at the plan's deadline anyway. After a halt, the relay
 * reserves the unused last step's seq: the publisher's next release goes above it.
 */
import * as v from 'valibot';
import { canonicalBytes } from './jcs.ts';
import { signBytes, verifyBytes, type SigningKey } from './crypto.ts';
import { ErrorCode } from './errors.ts';
import { Count, IsoTime, PublicKeyText, RoomName, SignatureText, SlotName } from './release.ts';
import { validator } from './validate.ts';

/** Paths of a room's guarded rollout: `POST` one, `GET` the current (or last) one, `POST` a command. */
export const PlanPath = {
  plans: (room: string): string => `/api/rooms/${encodeURIComponent(room)}/plans`,
  plan: (room: string): string => `/api/rooms/${encodeURIComponent(room)}/plan`,
  command: (room: string): string => `/api/rooms/${encodeURIComponent(room)}/plan/command`,
} as const;

/** Most steps a plan may have. */
export const MAX_PLAN_STEPS = 10;
/** Shortest dwell a step may have (tests use 1–2 s; people use minutes). */
export const MIN_DWELL_MS = 500;
/** Longest dwell a step may have. */
export const MAX_DWELL_MS = 7 * 24 * 60 * 60 * 1000;
/** Time after a plan's last possible step until its halt expires: room for a slow relay or a restart. */
export const PLAN_GRACE_MS = 5 * 60 * 1000;

/** When a plan's halt expires: its start, every dwell, and the grace. */
export function planDeadline(startMs: number, steps: number, dwellMs: number): number {
  return startMs + steps * dwellMs + PLAN_GRACE_MS;
}

/**
 * `POST /api/rooms/:room/plans`. `steps[0]` is the room's live release already (the publisher
 * published it with its blobs); the relay publishes the others in turn, or `halt`. The releases stay
 * `unknown` here: `acceptRelease` decides about each.
 */
export const PlanBodySchema = v.object({
  steps: v.pipe(v.array(v.unknown()), v.minLength(2), v.maxLength(MAX_PLAN_STEPS)),
  halt: v.unknown(),
  dwellMs: v.pipe(Count, v.minValue(MIN_DWELL_MS), v.maxValue(MAX_DWELL_MS)),
  /** Halt when more than this share (0–1) of the exposed players failed. */
  haltAbove: v.pipe(v.number(), v.minValue(0), v.maxValue(1)),
});
/** See {@link PlanBodySchema}. */
export type PlanBody = v.InferOutput<typeof PlanBodySchema>;
/** Validates a plan request. */
export const parsePlanBody = validator(PlanBodySchema, ErrorCode.BAD_MESSAGE, 'plan body');

/** Where a plan is. */
export const PlanStatus = {
  running: 'running',
  /** Every step was published. */
  done: 'done',
  /** The halt was published. */
  halted: 'halted',
  /** A release of the room superseded it, or its deadline passed. */
  ended: 'ended',
} as const;
/** One of {@link PlanStatus}. */
export type PlanStatus = (typeof PlanStatus)[keyof typeof PlanStatus];

/** One step as the relay reports it. */
export const PlanStepSchema = v.object({
  seq: Count,
  percent: v.pipe(Count, v.minValue(1), v.maxValue(100)),
  publishedAt: v.exactOptional(IsoTime),
});

/** A plan's state: `GET /api/rooms/:room/plan` (404 `NO_SUCH_PLAN` when the room never had one). */
export const PlanStateSchema = v.object({
  room: RoomName,
  /** The plan's id: its first step's seq. */
  id: Count,
  status: v.picklist(Object.values(PlanStatus)),
  /** Index of the step published last. */
  step: Count,
  steps: v.array(PlanStepSchema),
  haltSeq: Count,
  /** The seq of the release the plan started from (what the halt restores). */
  baseSeq: Count,
  /** Slots the plan changes: the ones exposure and failures are counted on. */
  slots: v.array(SlotName),
  dwellMs: Count,
  haltAbove: v.number(),
  startedAt: IsoTime,
  stepStartedAt: IsoTime,
  deadline: IsoTime,
  /** Players that applied or failed a changed slot, and those that failed one, over the plan's steps. */
  exposed: Count,
  failing: Count,
  endedAt: v.exactOptional(IsoTime),
  /** Why it ended (halted: the failure rate, or by hand). */
  reason: v.exactOptional(v.pipe(v.string(), v.maxLength(400))),
});
/** See {@link PlanStateSchema}. */
export type PlanState = v.InferOutput<typeof PlanStateSchema>;
/** Validates a plan state. */
export const parsePlanState = validator(PlanStateSchema, ErrorCode.BAD_MESSAGE, 'plan state');

/** What an admin commands by hand. */
export const PlanAction = { halt: 'halt', advance: 'advance' } as const;
/** One of {@link PlanAction}. */
export type PlanAction = (typeof PlanAction)[keyof typeof PlanAction];

/**
 * A command to a running plan, signed with a room key. `step` is the step it was given at: a command
 * that arrives after the plan moved on (or again) does nothing.
 */
export const PlanCommandSchema = v.strictObject({
  format: v.literal(1),
  room: RoomName,
  plan: Count,
  step: Count,
  action: v.picklist(Object.values(PlanAction)),
  at: IsoTime,
});
/** See {@link PlanCommandSchema}. */
export type PlanCommand = v.InferOutput<typeof PlanCommandSchema>;

/** `POST /api/rooms/:room/plan/command`. */
export const SignedPlanCommandSchema = v.strictObject({
  command: PlanCommandSchema,
  publicKey: PublicKeyText,
  sig: SignatureText,
});
/** See {@link SignedPlanCommandSchema}. */
export type SignedPlanCommand = v.InferOutput<typeof SignedPlanCommandSchema>;
/** Validates a signed plan command. */
export const parseSignedPlanCommand = validator(
  SignedPlanCommandSchema,
  ErrorCode.BAD_MESSAGE,
  'plan command',
);

/** Signs a plan command (Ed25519 over its canonical JSON, as a release). */
export async function signPlanCommand(key: SigningKey, command: PlanCommand): Promise<SignedPlanCommand> {
  return { command, publicKey: key.publicKey, sig: await signBytes(key, canonicalBytes(command)) };
}

/** True when `signed.sig` is `signed.publicKey`'s signature of the command. */
export function verifyPlanCommand(signed: SignedPlanCommand): Promise<boolean> {
  return verifyBytes(signed.publicKey, canonicalBytes(signed.command), signed.sig);
}
