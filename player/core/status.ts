/** What the patch client tells the game and tools: its status, and what an applied release did. */
import * as v from 'valibot';
import { ErrorCode } from '../../protocol/errors.ts';
import { MAX_ERROR_TEXT } from '../../protocol/limits.ts';
import { AckStatus, HeldSlotSchema, MessageType, type Ack, type HeldSlot } from '../../protocol/messages.ts';
import { Count, SlotName, VersionLabel } from '../../protocol/release.ts';
import { validator } from '../../protocol/validate.ts';
import type { RoomState } from './schema.ts';
import type { ApplyOutcome } from './apply.ts';

/** How the player gets its patches now. */
export type ConnectionMode = 'relay' | 'peer' | 'offline';

/** What `status()` returns (and `window.patchcast.status()` on the demo page). */
export interface PatchStatus {
  readonly room: string;
  /** Seq of the newest release accepted (0 for none). */
  readonly seq: number;
  /** What each slot holds and applies now. */
  readonly slots: Readonly<Record<string, HeldSlot>>;
  readonly mode: ConnectionMode;
  readonly peers: number;
  readonly bytesFromRelay: number;
  readonly bytesFromPeers: number;
  /**
   * The current problem, if any: a connection error until the relay welcomes the player again, a
   * refused release or a failed slot until a release applies cleanly.
   */
  readonly lastError: string | null;
  /**
   * The last slot that failed and is still not running what its release said (null when every slot
   * runs its release's content): the release (seq and label), the slot and content, the error, and
   * what the slot runs instead (null: the game's built-in content).
   */
  readonly lastFailure: LastFailure | null;
  /** This player's client id (from the cache, else from the relay's `welcome`; null before either). */
  readonly clientId: string | null;
  /** The release being fetched, with verified bytes so far (null when idle). */
  readonly loading: { readonly seq: number; readonly received: number; readonly total: number } | null;
}

/** See {@link PatchStatus.lastFailure}. */
export interface LastFailure {
  readonly seq: number;
  /** The release's label. */
  readonly release: string;
  readonly slot: string;
  /** The failed content's label. */
  readonly version: string;
  readonly error: string;
  readonly running: HeldSlot | null;
  /** Unix milliseconds. */
  readonly at: number;
}

/** One slot's outcome in an `applied` event (`error` also carries the reason of a skip). */
export interface SlotOutcome extends HeldSlot {
  readonly status: AckStatus;
  readonly error?: string;
}

/** Detail of the `applied` event: a release (or the cache at boot) was applied. */
export interface AppliedDetail {
  readonly seq: number;
  readonly version: string;
  readonly fromCache: boolean;
  readonly slots: Readonly<Record<string, SlotOutcome>>;
}

/** Detail of the `refused` event: a release (from the relay or a peer) was refused. */
export interface RefusedDetail {
  readonly code: string;
  readonly message: string;
}

/** Detail of the `connected` event: the relay welcomed this player. */
export interface ConnectedDetail {
  /** The id the relay lists this connection under. */
  readonly clientId: string;
  /** The room's newest seq at the relay. */
  readonly seq: number;
}

/** Detail of the `disconnected` event: a connection closed, or a dial failed. */
export interface DisconnectedDetail {
  readonly code: number;
  readonly reason: string;
  /** When the client dials again (null: it was closed for good). */
  readonly retryInMs: number | null;
}

/**
 * Checks the detail of an `applied` event: an event's `detail` is `any` to TypeScript, and anyone
 * can dispatch an event on the client.
 */
export const parseAppliedDetail = validator(
  v.object({
    seq: Count,
    version: VersionLabel,
    fromCache: v.boolean(),
    slots: v.record(
      SlotName,
      v.object({
        ...HeldSlotSchema.entries,
        status: v.picklist(Object.values(AckStatus)),
        error: v.exactOptional(v.string()),
      }),
    ),
  }),
  ErrorCode.BAD_MESSAGE,
  'applied event',
);

/** What each slot holds now: the top of its history. */
export function heldSlots(state: RoomState): Record<string, HeldSlot> {
  const slots: Record<string, HeldSlot> = {};
  for (const [name, entries] of Object.entries(state.held)) {
    const top = entries.at(-1);
    if (top) slots[name] = { version: top.version, sha256: top.sha256 };
  }
  return slots;
}

/**
 * The status once release `detail` is on screen, from the one before: its seq; each slot it applied
 * on top, the others as they were, any it no longer names gone (as {@link heldSlots} of the client's
 * next state says); nothing loading; no failure left when none of its slots failed. For a copy of a
 * client's status kept elsewhere (the demo page's, of its worker's client) until the next snapshot.
 */
export function statusOnScreen(status: PatchStatus, detail: AppliedDetail): PatchStatus {
  const slots: Record<string, HeldSlot> = {};
  for (const [name, outcome] of Object.entries(detail.slots)) {
    const before = status.slots[name];
    if (outcome.status === 'applied') slots[name] = { version: outcome.version, sha256: outcome.sha256 };
    else if (before) slots[name] = before;
  }
  const failed = Object.values(detail.slots).some((o) => o.status === 'failed');
  return { ...status, seq: detail.seq, slots, loading: null, ...(failed ? {} : { lastFailure: null }) };
}

/**
 * The `ack` of one slot's outcome (a skip's reason goes in `error` too); a failure says what the slot
 * runs instead when `running` is given (null: the game's built-in content).
 */
export function ackOf(
  seq: number,
  name: string,
  content: HeldSlot,
  outcome: ApplyOutcome,
  running?: HeldSlot | null,
): Ack {
  return {
    type: MessageType.ack,
    seq,
    slot: name,
    version: content.version,
    sha256: content.sha256,
    status: outcome.status,
    ...(outcome.status === 'failed' ? { error: outcome.error.slice(0, MAX_ERROR_TEXT) } : {}),
    ...(outcome.status === 'skipped' ? { error: outcome.reason.slice(0, MAX_ERROR_TEXT) } : {}),
    ...(outcome.status === 'failed' && running !== undefined ? { running } : {}),
  };
}

/** What a slot runs now: the top of its history, or null (the game's built-in content). */
export function runningOf(state: RoomState, slot: string): HeldSlot | null {
  const top = state.held[slot]?.at(-1);
  return top ? { version: top.version, sha256: top.sha256 } : null;
}
