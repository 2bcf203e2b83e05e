/**
 * The Node adapter's cache: the same records as the browser's IndexedDB, as files in one directory.
 *
 *   DIR/client-id                         this player's client id
 *   DIR/<room>/state.json                 the room's state (`player/core/schema.ts`)
 *   DIR/<room>/releases/<seq>.json        signed releases the state references
 *   DIR/<room>/blobs/<sha256>             blobs the state references
 *
 * A commit writes the new blobs and releases first, then `state.json` — the commit point — and only
 * then deletes what the new state no longer references; every file is written to a temp file, synced
 * and renamed over its target. A crash at any moment leaves the old state or the new one, each with
 * every file it names. What is read back is validated here and verified again by the client.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseSignedRelease } from '../../protocol/release.ts';
import { isClientSecret, newClientId, newClientSecret, referenced, type PatchCache } from '../core/cache.ts';
import { emptyRoomState, parseRoomState, parseStoredClientId } from '../core/schema.ts';

const TEMP_PREFIX = '.tmp-';

/**
 * Writes a file so that it holds the old bytes or the new ones, never a mix (temp, fsync, rename, then
 * fsync of the directory so the rename itself survives a power cut). The relay's store has its own
 * (`signaling/store/atomic.ts`): the player and the relay ship apart and share only `protocol/`.
 */
async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path).catch(async (error: unknown) => {
    await rm(temp, { force: true });
    throw error;
  });
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch {
    return null;
  }
}

function parseJson(bytes: Buffer | null): unknown {
  if (!bytes) return null;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** A {@link PatchCache} in the directory `dir` (created on first write). */
export function fileCache(dir: string): PatchCache {
  const roomDir = (room: string) => join(dir, room);
  const statePath = (room: string) => join(roomDir(room), 'state.json');
  const releasePath = (room: string, seq: number) => join(roomDir(room), 'releases', `${seq}.json`);
  const blobPath = (room: string, sha256: string) => join(roomDir(room), 'blobs', sha256);
  let clientId: Promise<string> | null = null;
  let clientSecret: Promise<string> | null = null;
  return {
    clientSecret() {
      clientSecret ??= (async () => {
        const path = join(dir, 'client-secret');
        const stored = (await readOrNull(path))?.toString('utf8').trim();
        if (isClientSecret(stored)) return stored;
        const secret = newClientSecret();
        await writeAtomic(path, secret);
        return secret;
      })();
      return clientSecret;
    },
    clientId() {
      clientId ??= (async () => {
        const path = join(dir, 'client-id');
        const stored = parseStoredClientId((await readOrNull(path))?.toString('utf8').trim());
        if (stored.ok) return stored.value;
        const id = newClientId();
        await writeAtomic(path, id);
        return id;
      })();
      return clientId;
    },
    async state(room) {
      const parsed = parseRoomState(parseJson(await readOrNull(statePath(room))));
      return parsed.ok && parsed.value.room === room ? parsed.value : emptyRoomState(room);
    },
    async release(room, seq) {
      const parsed = parseSignedRelease(parseJson(await readOrNull(releasePath(room, seq))));
      return parsed.ok ? parsed.value : null;
    },
    async blob(room, sha256) {
      if (!/^[0-9a-f]{64}$/.test(sha256)) return null;
      const bytes = await readOrNull(blobPath(room, sha256));
      return bytes ? new Uint8Array(bytes) : null;
    },
    async commit(room, update) {
      const keep = referenced(update.state);
      for (const [sha256, bytes] of update.blobs)
        if (keep.blobs.has(sha256)) await writeAtomic(blobPath(room, sha256), bytes);
      for (const signed of update.releases)
        if (keep.releases.has(signed.release.seq))
          await writeAtomic(releasePath(room, signed.release.seq), JSON.stringify(signed));
      await writeAtomic(statePath(room), JSON.stringify(update.state));
      // After the commit point: what nothing references any more, and a crash's temp files.
      const releasesDir = join(roomDir(room), 'releases');
      for (const name of await list(releasesDir)) {
        const seq = /^(\d+)\.json$/.exec(name)?.[1];
        if (name.startsWith(TEMP_PREFIX) || (seq !== undefined && !keep.releases.has(Number(seq))))
          await rm(join(releasesDir, name), { force: true });
      }
      const blobsDir = join(roomDir(room), 'blobs');
      for (const name of await list(blobsDir))
        if (!keep.blobs.has(name)) await rm(join(blobsDir, name), { force: true });
    },
  };
}
