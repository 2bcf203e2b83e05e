/**
 * Applying an accepted release whose blobs are all here and verified: each slot, in order, is
 * applied or skipped or failed; the result is the room's next state (with each slot's history and
 * the blobs known to fail) and what to keep in the cache. No I/O of its own but the game's handlers.
 */
import type { Slot, SignedRelease } from '../../protocol/release.ts';
import { MAX_FAILED, MAX_HISTORY, type HeldEntry, type RoomState } from './schema.ts';
import { applyOrder, applySlot, type ApplyOutcome, type PatchHandlers } from './apply.ts';
import { inRollout } from '../../protocol/rollout.ts';
import { MAX_ERROR_TEXT } from '../../protocol/limits.ts';
import type { SlotOutcome } from './status.ts';

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
  for (const [name, slot] of ordered) {
    const entries = [...(state.held[name] ?? [])];
    const outcome = await decide(input, name, slot, entries, blobs.get(slot.sha256));
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
    outcomes[name] = {
      version: slot.version,
      sha256: slot.sha256,
      status: outcome.status,
      ...(outcome.status === 'failed' ? { error: outcome.error } : {}),
      ...(outcome.status === 'skipped' ? { error: outcome.reason } : {}),
    };
    done.push([name, slot, outcome]);
  }
  // Slots the release no longer names are dropped from what the player holds, and the game hears of
  // each one that had content applied.
  await announceRemovals(input.handlers, state, release.slots, release.seq);
  return { state: { ...state, seq: release.seq, held, failed }, slots: done, outcomes, keepBlobs };
}

/** Tells the game about each slot `state` applied that `slots` no longer names. */
async function announceRemovals(
  handlers: PatchHandlers,
  state: RoomState,
  slots: Readonly<Record<string, Slot>>,
  seq: number,
): Promise<void> {
  if (!handlers.removed) return;
  for (const [name, entries] of Object.entries(state.held)) {
    const last = entries.at(-1);
    if (Object.hasOwn(slots, name) || !last) continue;
    try {
      await handlers.removed({ name, seq, previous: { version: last.version, sha256: last.sha256 } });
    } catch {
      // The game's own trouble: a removal has no ack to carry it.
    }
  }
}

/** Applies one slot, or says why not. */
async function decide(
  input: {
    readonly state: RoomState;
    readonly signed: SignedRelease;
    readonly handlers: PatchHandlers;
    readonly clientId: string;
  },
  name: string,
  slot: Slot,
  entries: readonly HeldEntry[],
  bytes: Uint8Array | undefined,
): Promise<ApplyOutcome> {
  if (entries.at(-1)?.sha256 === slot.sha256) return { status: 'applied' };
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
  const seq = input.signed.release.seq;
  return applySlot(input.handlers, { name, slot, seq, fromCache: false }, bytes);
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
