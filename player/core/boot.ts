/**
 * Boot from the cache, before and without any network: read the room's state, check the stored
 * releases again under the pinned key (and the rotations stored with them), check every blob against
 * its slot, and apply what holds. A slot whose newest content no longer verifies or applies falls
 * back to the one before it.
 */
import { verifyBlobChunks } from '../../protocol/blobs.ts';
import type { KeySetState, TrustedKeys } from '../../protocol/keys.ts';
import type { SignedRelease } from '../../protocol/release.ts';
import type { PatchCache } from './cache.ts';
import { emptyRoomState, type HeldEntry, type RoomState } from './schema.ts';
import { applyOrder, applySlot, type ApplyOutcome, type PatchHandlers } from './apply.ts';
import type { SlotOutcome } from './status.ts';
import { startingTrust, verifyCachedRelease } from './trust.ts';

/** What booting found. */
export interface BootResult {
  readonly state: RoomState;
  readonly trusted: TrustedKeys;
  /** Where trust starts: the stored root, or the pinned keys. */
  readonly trust: KeySetState;
  /** The newest release held, verified (null for an empty or unusable cache). */
  readonly latest: SignedRelease | null;
  readonly outcomes: Readonly<Record<string, SlotOutcome>>;
  /** The verified bytes of each slot applied, by hash (the swarm serves them to peers). */
  readonly blobs: ReadonlyMap<string, Uint8Array>;
  /** Why the cache was not used, if it wasn't. */
  readonly error: string | null;
}

/** Reads, verifies and applies the cache of `room`. Never throws. */
export async function bootFromCache(input: {
  readonly room: string;
  readonly publicKey: string | readonly string[];
  readonly cache: PatchCache;
  readonly handlers: PatchHandlers;
}): Promise<BootResult> {
  const { room, cache } = input;
  let state: RoomState;
  try {
    state = await cache.state(room);
  } catch (error) {
    const trust = await startingTrust(room, input.publicKey, undefined);
    const trusted = trust.keys;
    return {
      state: emptyRoomState(room),
      trusted,
      trust,
      latest: null,
      outcomes: {},
      blobs: new Map(),
      error: `cache unavailable: ${String(error)}`,
    };
  }
  const trust = await startingTrust(room, input.publicKey, state.trustRoot);
  const trusted = trust.keys;
  const latest = state.seq > 0 ? await cache.release(room, state.seq).catch(() => null) : null;
  if (state.seq > 0 && (!latest || !(await verifyCachedRelease(latest, room, trusted)))) {
    return {
      state: emptyRoomState(room),
      trusted,
      trust,
      latest: null,
      outcomes: {},
      blobs: new Map(),
      error: 'cache: the stored release does not verify under the pinned key; starting empty',
    };
  }
  const held: Record<string, HeldEntry[]> = {};
  const outcomes: Record<string, SlotOutcome> = {};
  const blobs = new Map<string, Uint8Array>();
  const names = Object.keys(state.held).sort((a, b) => {
    const sa = latest?.release.slots[a];
    const sb = latest?.release.slots[b];
    return sa && sb ? applyOrder(sa, sb) : 0;
  });
  for (const name of names) {
    const entries = [...(state.held[name] ?? [])];
    for (let entry = entries.at(-1); entry; entry = entries.at(-1)) {
      const booted = await applyHeldEntry(input, name, entry, trusted, latest).catch(() => null);
      if (booted?.outcome.status === 'applied') {
        held[name] = entries;
        blobs.set(entry.sha256, booted.bytes);
        outcomes[name] = { version: entry.version, sha256: entry.sha256, status: 'applied' };
        break;
      }
      entries.pop();
    }
  }
  return { state: { ...state, held }, trusted, trust, latest, outcomes, blobs, error: null };
}

/** Applies one held content again from the cache, verified again (at boot, and after a run-time failure). */
export async function applyHeldEntry(
  input: { readonly room: string; readonly cache: PatchCache; readonly handlers: PatchHandlers },
  name: string,
  entry: HeldEntry,
  trusted: TrustedKeys,
  latest: SignedRelease | null,
): Promise<{ readonly outcome: ApplyOutcome; readonly bytes: Uint8Array } | null> {
  const { room, cache } = input;
  const signed = latest?.release.seq === entry.seq ? latest : await cache.release(room, entry.seq);
  if (!signed || !(await verifyCachedRelease(signed, room, trusted))) return null;
  const slot = signed.release.slots[name];
  const bytes = await cache.blob(room, entry.sha256);
  if (!slot || slot.sha256 !== entry.sha256 || !bytes || !(await verifyBlobChunks(slot, bytes)).ok)
    return null;
  const outcome = await applySlot(input.handlers, { name, slot, seq: entry.seq, fromCache: true }, bytes);
  return { outcome, bytes };
}
