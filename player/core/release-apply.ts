/**
 * Applying an accepted release whose blobs are all here and verified: each slot, in order, is
 * applied or skipped or failed; the result is the room's next state (with each slot's history and
 * the blobs known to fail) and what to keep in the cache. No I/O of its own but the game's handlers.
 */
import type { Release, Slot, SignedRelease } from '../../protocol/release.ts';
import { MAX_FAILED, MAX_HISTORY, type HeldEntry, type RoomState } from './schema.ts';
import { applyOrder, applySlot, type ApplyOutcome, type PatchHandlers, type RemovedSlot } from './apply.ts';
import { inRollout } from '../../protocol/rollout.ts';
import { MAX_ERROR_TEXT } from '../../protocol/limits.ts';
import type { AppliedDetail, SlotOutcome } from './status.ts';

/** The outcome of applying a release. */
export interface ReleaseOutcome {
  /** The room's state after the release. */
  readonly state: RoomState;
  /** Per slot, what happened (in apply order). */
  readonly slots: readonly (readonly [string, Slot, ApplyOutcome])[];
  readonly outcomes: Readonly<Record<string, SlotOutcome>>;
  /** Blobs of newly applied slots, for the cache. */
  readonly keepBlobs: ReadonlyMap<string, Uint8Array>;
}

/** Applies `signed` on top of `state`; `blobs` holds the verified bytes of every slot that changed. */
export async function applyRelease(input: {
  readonly state: RoomState;
  readonly signed: SignedRelease;
  readonly blobs: ReadonlyMap<string, Uint8Array>;
  readonly handlers: PatchHandlers;
  readonly clientId: string;
}): Promise<ReleaseOutcome> {
  const { state, signed, blobs } = input;
  const { release } = signed;
  const held: Record<string, HeldEntry[]> = {};
  let failed = state.failed;
  const keepBlobs = new Map<string, Uint8Array>();
  const outcomes: Record<string, SlotOutcome> = {};
  const done: (readonly [string, Slot, ApplyOutcome])[] = [];
  const ordered = Object.entries(release.slots).sort(([, a], [, b]) => applyOrder(a, b));
  // What each slot comes to without its handler (held already, known to fail, outside its rollout…),
  // or the bytes its handler gets: known up front, so the last handler called can be told so.
  const settled: (ApplyOutcome | Uint8Array)[] = [];
  for (const [name, slot] of ordered) settled.push(await settle(input, name, slot, blobs.get(slot.sha256)));
  const last = settled.findLastIndex((s) => s instanceof Uint8Array);
  const removals = input.handlers.removed ? removedSlots(state, release.slots, release.seq) : [];
  for (const [i, [name, slot]] of ordered.entries()) {
    const entries = [...(state.held[name] ?? [])];
    const settledAs = settled[i]!;
    let outcome: ApplyOutcome;
    if (settledAs instanceof Uint8Array) {
      // The last handler, with no removal after it, learns the `shown` detail its `applied` makes.
      const shownIfApplied =
        i === last && removals.length === 0 ? previewShown(release, ordered, settled, i) : undefined;
      const change = { name, slot, seq: release.seq, fromCache: false };
      outcome = await applySlot(
        input.handlers,
        shownIfApplied ? { ...change, shownIfApplied } : change,
        settledAs,
      );
      settled[i] = outcome; // (the preview of a later slot reads the outcomes before it)
    } else {
      outcome = settledAs;
    }
    if (outcome.status === 'applied') {
      // The content goes on top of the slot's history, once (a rollback reuses an older entry), with
      // this release as its source.
      const rest = entries.filter((e) => e.sha256 !== slot.sha256);
      held[name] = [...rest, { seq: release.seq, version: slot.version, sha256: slot.sha256 }].slice(
        -MAX_HISTORY,
      );
      const bytes = blobs.get(slot.sha256);
      if (bytes) keepBlobs.set(slot.sha256, bytes);
    } else if (entries.length > 0) {
      held[name] = entries;
    }
    if (outcome.status === 'failed' && !outcome.transient)
      failed = remember(failed, slot.sha256, outcome.error);
    outcomes[name] = slotOutcome(slot, outcome);
    done.push([name, slot, outcome]);
  }
  // Slots the release no longer names are dropped from what the player holds, and the game hears of
  // each one that had content applied.
  for (const removed of removals) {
    try {
      await input.handlers.removed?.(removed);
    } catch {
      // The game's own trouble: a removal has no ack to carry it.
    }
  }
  return { state: { ...state, seq: release.seq, held, failed }, slots: done, outcomes, keepBlobs };
}

/** A slot's outcome as the `shown` and `applied` events say it. */
function slotOutcome(slot: Slot, outcome: ApplyOutcome): SlotOutcome {
  return {
    version: slot.version,
    sha256: slot.sha256,
    status: outcome.status,
    ...(outcome.status === 'failed' ? { error: outcome.error } : {}),
    ...(outcome.status === 'skipped' ? { error: outcome.reason } : {}),
  };
}

/**
 * The `shown` detail the release makes if slot `at`'s handler applies it: every other slot's outcome
 * is known by then (the ones before it applied, the ones after it need no handler).
 */
function previewShown(
  release: Release,
  ordered: readonly (readonly [string, Slot])[],
  settled: readonly (ApplyOutcome | Uint8Array)[],
  at: number,
): AppliedDetail {
  const slots: Record<string, SlotOutcome> = {};
  for (const [i, [name, slot]] of ordered.entries()) {
    const outcome = i === at ? { status: 'applied' as const } : settled[i];
    if (outcome === undefined || outcome instanceof Uint8Array) throw new Error('a slot was not settled');
    slots[name] = slotOutcome(slot, outcome);
  }
  return { seq: release.seq, version: release.version, fromCache: false, slots };
}

/** Each slot `state` applied that `slots` no longer names: the game hears of them after the rest. */
function removedSlots(state: RoomState, slots: Readonly<Record<string, Slot>>, seq: number): RemovedSlot[] {
  const removed: RemovedSlot[] = [];
  for (const [name, entries] of Object.entries(state.held)) {
    const last = entries.at(-1);
    if (Object.hasOwn(slots, name) || !last) continue;
    removed.push({ name, seq, previous: { version: last.version, sha256: last.sha256 } });
  }
  return removed;
}

/** What a slot comes to without its handler, or (bytes) that its handler decides. */
async function settle(
  input: {
    readonly state: RoomState;
    readonly clientId: string;
  },
  name: string,
  slot: Slot,
  bytes: Uint8Array | undefined,
): Promise<ApplyOutcome | Uint8Array> {
  if (input.state.held[name]?.at(-1)?.sha256 === slot.sha256) return { status: 'applied' };
  const knownBad = input.state.failed[slot.sha256];
  if (knownBad !== undefined) return { status: 'failed', error: knownBad };
  if (slot.kind === 'script' && slot.lang === 'python') {
    return { status: 'skipped', reason: 'a python script is for seed-protocol clients' };
  }
  if (!(await inRollout(input.clientId, name, slot.sha256, slot.rollout?.percent))) {
    return { status: 'skipped', reason: `outside the staged rollout (${slot.rollout?.percent ?? 100}%)` };
  }
  // The client fetches what a release needs on top of the state it is applied to, so this is a bug
  // of ours, not the blob's: never remembered against it.
  if (!bytes) return { status: 'failed', error: 'BLOB_MISSING: the blob was not fetched', transient: true };
  return bytes;
}

/** Adds a failed blob to the remembered set, dropping the oldest past the bound. */
export function remember(
  failed: Readonly<Record<string, string>>,
  sha256: string,
  error: string,
): Record<string, string> {
  const entries = Object.entries(failed).filter(([k]) => k !== sha256);
  entries.push([sha256, error.slice(0, MAX_ERROR_TEXT)]);
  return Object.fromEntries(entries.slice(-MAX_FAILED));
}

/**
 * Whether a slot needs its blob fetched to apply the release on top of `state`: not what the slot
 * applies now, not known to fail, not a python script, and within its staged rollout for this player
 * (the same checks {@link applyRelease} makes before it looks at the bytes).
 */
export async function needsBlob(
  state: RoomState,
  name: string,
  slot: Slot,
  clientId: string,
): Promise<boolean> {
  return (
    state.held[name]?.at(-1)?.sha256 !== slot.sha256 &&
    state.failed[slot.sha256] === undefined &&
    !(slot.kind === 'script' && slot.lang === 'python') &&
    (await inRollout(clientId, name, slot.sha256, slot.rollout?.percent))
  );
}
