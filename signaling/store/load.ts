/**
 * Reading a data dir at start: which blobs are there, and every room with its verified releases.
 * Debris of a crash (temp files, a room dir whose creation was cut short) is cleaned up quietly;
 * damage is not: a room whose record is damaged or lost is quarantined, and a release file that
 * does not read or verify is noted as damage of its room. Every one of those gets a log line.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import {
  RoomName,
  parseSignedRelease,
  parseSignedRotation,
  trustKeys,
  verifyReleaseSignature,
  type SignedRelease,
  type SignedRotation,
} from '../../protocol/index.ts';
import { mkdirDurable, mkdirsDurable, removeTempFiles } from './atomic.ts';
import { readLastSeq, readRoomRecord, releaseFiles, roomFiles } from './room-files.ts';
import type { StoredRoom, StoreLog } from './store.ts';

/** A room as read from disk. */
export interface LoadedRoom {
  /** The room, with an empty history: the store appends `releases` (it indexes their blobs). */
  readonly state: StoredRoom;
  /** Its readable, verified releases, ascending seq (blobs they name may be missing). */
  readonly releases: readonly SignedRelease[];
  /** The highest seq the room ever accepted: its last-seq record or its highest release file name. */
  readonly lastSeq: number;
  /** What did not load, in words. */
  readonly damage: readonly string[];
}

/** What a data dir holds. */
export interface LoadedDataDir {
  readonly blobs: ReadonlySet<string>;
  readonly rooms: readonly LoadedRoom[];
  /** Rooms not loaded because their record is damaged or lost: room → why. */
  readonly quarantined: ReadonlyMap<string, string>;
}

const SHA_RE = /^[0-9a-f]{64}$/;

/** Loads (creating if needed) the data dir at `dir`. */
export async function loadDataDir(dir: string, log: StoreLog): Promise<LoadedDataDir> {
  await mkdirDurable(join(dir, 'blobs'));
  await mkdirDurable(join(dir, 'rooms'));
  const blobs = await loadBlobs(join(dir, 'blobs'), log);
  const rooms: LoadedRoom[] = [];
  const quarantined = new Map<string, string>();
  const root = join(dir, 'rooms');
  for (const name of await readdir(root)) {
    if (!v.is(RoomName, name)) continue;
    const roomDir = join(root, name);
    let loaded: LoadedRoom | string | null;
    try {
      loaded = await loadRoom(roomDir, name, log);
    } catch (error) {
      loaded = `not loaded: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (loaded === null) continue;
    if (typeof loaded !== 'string') {
      rooms.push(loaded);
      continue;
    }
    quarantined.set(name, loaded);
    log(
      `room ${name} QUARANTINED: ${loaded}. It is not served, and nobody can publish to it or create ` +
        `it again until you repair or move away ${roomDir} and restart the relay.`,
    );
  }
  return { blobs, rooms, quarantined };
}

/** The 256 subdirectories of `blobs/`, by a blob's first two hex digits. */
const BLOB_PREFIXES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

async function loadBlobs(root: string, log: StoreLog): Promise<Set<string>> {
  const blobs = new Set<string>();
  await mkdirsDurable(root, BLOB_PREFIXES);
  // Each of the 256 directories read once, side by side (one after another, with a second read for
  // the temp files, they added ~50 ms to every start of an empty data dir).
  const prefixes = await readdir(root);
  await Promise.all(
    prefixes.map(async (prefix) => {
      const sub = join(root, prefix);
      let names: string[];
      try {
        names = await readdir(sub);
      } catch {
        return;
      }
      const removed = await removeTempFiles(sub, names);
      if (removed) log(`removed ${removed} unfinished blob write(s) in ${sub}`);
      for (const name of names) if (SHA_RE.test(name) && name.startsWith(prefix)) blobs.add(name);
    }),
  );
  return blobs;
}

/** A room; the reason to quarantine it; or null for the debris of a room creation cut short. */
async function loadRoom(dir: string, name: string, log: StoreLog): Promise<LoadedRoom | string | null> {
  const files = roomFiles(dir);
  await removeTempFiles(dir);
  await removeTempFiles(files.releases);
  const seqs = await releaseFiles(dir);
  const recorded = await readLastSeq(dir);
  const record = await readRoomRecord(dir, name);
  if (record.kind === 'damaged') return `room.json is ${record.why}`;
  if (record.kind === 'absent') {
    // Without releases, a room dir with no record is the debris of a crash before the room was
    // created; with some, the record is lost, and whoever publishes next must not get the room.
    if (seqs.length > 0 || recorded.kind !== 'absent')
      return 'room.json is missing but the room has releases';
    log(`rooms/${name} has no room.json and no releases (a room creation cut short): ignored`);
    return null;
  }
  const state: StoredRoom = {
    room: name,
    createdAt: record.value.createdAt,
    trusted: await trustKeys(record.value.keys),
    rotations: keySetRecords(record.value.rotations, name, log),
    history: [],
  };
  const damage: string[] = [];
  if (recorded.kind === 'damaged') damage.push(`last-seq.json is ${recorded.why}`);
  const releases: SignedRelease[] = [];
  for (const { file, seq } of seqs) {
    const loaded = await loadRelease(join(files.releases, file), state);
    if (!loaded.ok) damage.push(`release file ${file} skipped: ${loaded.why}`);
    else if (loaded.signed.release.seq !== seq) {
      damage.push(`release file ${file} skipped: it holds seq ${loaded.signed.release.seq}`);
    } else releases.push(loaded.signed);
  }
  const lastSeq = Math.max(recorded.kind === 'ok' ? recorded.value : 0, seqs.at(-1)?.seq ?? 0);
  return { state, releases, lastSeq, damage };
}

/** Reads and verifies a release file (its blobs are not checked here: a missing one degrades the room). */
async function loadRelease(
  path: string,
  state: StoredRoom,
): Promise<{ ok: true; signed: SignedRelease } | { ok: false; why: string }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    return { ok: false, why: error instanceof Error ? error.message : String(error) };
  }
  const parsed = parseSignedRelease(json);
  if (!parsed.ok) return { ok: false, why: parsed.message };
  const signed = parsed.value;
  if (signed.release.room !== state.room) return { ok: false, why: 'wrong room' };
  const key = state.trusted.get(signed.release.keyId);
  if (!key || !(await verifyReleaseSignature(signed, key))) return { ok: false, why: 'bad signature' };
  return { ok: true, signed };
}

/** The key set records of a room file; records of the older, unversioned format are dropped (logged). */
function keySetRecords(records: readonly unknown[], room: string, log: StoreLog): SignedRotation[] {
  const kept: SignedRotation[] = [];
  for (const record of records) {
    const parsed = parseSignedRotation(record);
    if (parsed.ok) kept.push(parsed.value);
  }
  if (kept.length < records.length) {
    log(
      `room ${room}: ${records.length - kept.length} key rotation record(s) of the old format dropped; ` +
        'its keys stay trusted as key set version 1 (sign a version 2 set so that players learn them)',
    );
  }
  return kept;
}
