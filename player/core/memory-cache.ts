/**
 * A {@link PatchCache} in memory: for a player that keeps nothing between runs (`patchcast play`
 * without `--cache`) and for tests. Commits are atomic as the others' are: one assignment.
 */
import { newClientId, newClientSecret, referenced, type PatchCache } from './cache.ts';
import { emptyRoomState, type RoomState } from './schema.ts';
import type { SignedRelease } from '../../protocol/release.ts';

interface Room {
  readonly state: RoomState;
  readonly releases: ReadonlyMap<number, SignedRelease>;
  readonly blobs: ReadonlyMap<string, Uint8Array>;
}

/** A fresh in-memory cache; `clientId` fixes the id it gives (default: a new random one). */
export function memoryCache(clientId: string = newClientId()): PatchCache {
  const rooms = new Map<string, Room>();
  const secret = newClientSecret();
  return {
    clientId: async () => clientId,
    clientSecret: async () => secret,
    state: async (room) => rooms.get(room)?.state ?? emptyRoomState(room),
    release: async (room, seq) => rooms.get(room)?.releases.get(seq) ?? null,
    blob: async (room, sha256) => rooms.get(room)?.blobs.get(sha256) ?? null,
    async commit(room, update) {
      const before = rooms.get(room);
      const keep = referenced(update.state);
      const releases = new Map<number, SignedRelease>();
      const blobs = new Map<string, Uint8Array>();
      for (const [seq, signed] of [
        ...(before?.releases ?? []),
        ...update.releases.map((s) => [s.release.seq, s] as const),
      ])
        if (keep.releases.has(seq)) releases.set(seq, signed);
      for (const [sha256, bytes] of [...(before?.blobs ?? []), ...update.blobs])
        if (keep.blobs.has(sha256)) blobs.set(sha256, bytes);
      rooms.set(room, { state: update.state, releases, blobs });
    },
  };
}
