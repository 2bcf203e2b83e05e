/**
 * Known-bad content is never carried forward silently. A new release carries over every slot it does
 * not change; when players failed one of those in the live release, the publisher says so before it
 * signs, and can revert the slot to the content it had before (what the failed players fall back to).
 */
import type { ReleaseAdoption } from '../protocol/adoption.ts';
import type { SignedRelease, Slot } from '../protocol/release.ts';
import type { Change, SlotContent } from './plan.ts';
import type { RelayApi } from './relay-api.ts';

/** A slot the next release would keep although players failed it in the live release. */
export interface CarriedFailure {
  readonly slot: string;
  /** The failed content's label and blob. */
  readonly version: string;
  readonly sha256: string;
  /** Players that failed it, of those that answered. */
  readonly failed: number;
  readonly players: number;
  /** The live release's seq. */
  readonly seq: number;
}

/** Slots of `live` that failed on players (per `adoption`, the live release's counts) and that `changing` leaves alone. */
export function carriedFailures(
  live: SignedRelease | null,
  adoption: ReleaseAdoption | undefined,
  changing: readonly string[],
): CarriedFailure[] {
  if (!live || adoption?.seq !== live.release.seq) return [];
  const out: CarriedFailure[] = [];
  for (const [slot, counts] of Object.entries(adoption.slots)) {
    const content = live.release.slots[slot];
    if (!content || counts.failed === 0 || changing.includes(slot)) continue;
    const players = counts.applied + counts.failed;
    out.push({
      slot,
      version: content.version,
      sha256: content.sha256,
      failed: counts.failed,
      players,
      seq: live.release.seq,
    });
  }
  return out;
}

/** One line per carried failure, for a warning. */
export function describeCarried(carried: readonly CarriedFailure[]): string[] {
  return carried.map(
    (c) =>
      `slot ${c.slot} ${c.version} failed on ${c.failed} of ${c.players} player(s) in seq ${c.seq}, and this release keeps it`,
  );
}

function contentOf(slot: Slot, bytes: Uint8Array): SlotContent {
  if (slot.kind === 'script') return { kind: 'script', bytes, ...(slot.lang ? { lang: slot.lang } : {}) };
  if (slot.kind === 'texture') return { kind: 'texture', bytes, mime: slot.mime };
  return { kind: 'config', bytes };
}

/**
 * Changes that put each slot back to the content it had before its failed content (the newest earlier
 * release with other content there), or remove it when it had none. `history` is newest first.
 */
export async function revertChanges(
  api: RelayApi,
  history: readonly SignedRelease[],
  carried: readonly CarriedFailure[],
): Promise<Change[]> {
  const changes: Change[] = [];
  for (const c of carried) {
    const before = history.find((s) => {
      const slot = s.release.slots[c.slot];
      return s.release.seq < c.seq && slot?.sha256 !== c.sha256;
    });
    const slot = before?.release.slots[c.slot];
    if (!slot) changes.push({ op: 'remove', slot: c.slot });
    else changes.push({ op: 'set', slot: c.slot, content: contentOf(slot, await api.blob(slot.sha256)) });
  }
  return changes;
}
