/**
 * The adoption counts' files: one per release, beside (not inside) the room's own files, so a room's
 * loader never meets them and pruning a release removes its file with one call.
 *
 *   adoption/<room>/<seq>.json   { format, room, seq, clients: { [clientId]: { [slot]: report } } }
 *
 * Written atomically (temp + fsync + rename). A file that does not parse is skipped and reported: the
 * counts are a record of what players said, not something a release depends on.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import {
  AckStatus,
  ClientId,
  ClientText,
  Count,
  HeldSlotSchema,
  RoomName,
  Sha256Hex,
  SlotName,
  VersionLabel,
} from '../../protocol/index.ts';
import { writeFileAtomic } from './atomic.ts';
import { seqFileName } from './room-files.ts';

/** What one player said of one slot of one release (its last word on it). */
export const SlotReportSchema = v.object({
  status: v.picklist(Object.values(AckStatus)),
  version: VersionLabel,
  sha256: v.exactOptional(Sha256Hex),
  /** With `failed`: what it runs instead (null: the game's built-in content). */
  running: v.exactOptional(v.nullable(HeldSlotSchema)),
  error: v.exactOptional(ClientText),
  /** Unix milliseconds. */
  at: Count,
});
/** See {@link SlotReportSchema}. */
export type SlotReport = v.InferOutput<typeof SlotReportSchema>;

/** One release's reports, as stored. */
export const AdoptionFileSchema = v.object({
  format: v.literal(1),
  room: RoomName,
  seq: Count,
  clients: v.record(ClientId, v.record(SlotName, SlotReportSchema)),
});
/** See {@link AdoptionFileSchema}. */
export type AdoptionFile = v.InferOutput<typeof AdoptionFileSchema>;

const SEQ_FILE_RE = /^(\d{1,16})\.json$/;

function roomDir(dataDir: string, room: string): string {
  return join(dataDir, 'adoption', room);
}

/** Every adoption file of the data dir that parses; `log` hears of the others. */
export async function loadAdoptionFiles(dataDir: string, log: (m: string) => void): Promise<AdoptionFile[]> {
  const out: AdoptionFile[] = [];
  let rooms: string[];
  try {
    rooms = await readdir(join(dataDir, 'adoption'));
  } catch {
    return out;
  }
  for (const room of rooms) {
    if (!v.is(RoomName, room)) continue;
    let names: string[];
    try {
      names = await readdir(roomDir(dataDir, room));
    } catch {
      continue;
    }
    for (const name of names) {
      const seq = SEQ_FILE_RE.exec(name)?.[1];
      if (seq === undefined) continue;
      const path = join(roomDir(dataDir, room), name);
      try {
        const parsed = v.safeParse(AdoptionFileSchema, JSON.parse(await readFile(path, 'utf8')));
        if (parsed.success && parsed.output.room === room && parsed.output.seq === Number(seq)) {
          out.push(parsed.output);
        } else log(`adoption file ${path} is malformed: skipped`);
      } catch (error) {
        log(`adoption file ${path} is unreadable: skipped (${String(error)})`);
      }
    }
  }
  return out;
}

/** Writes one release's reports. */
export function saveAdoptionFile(dataDir: string, file: AdoptionFile): Promise<void> {
  return writeFileAtomic(join(roomDir(dataDir, file.room), seqFileName(file.seq)), JSON.stringify(file));
}

/** Removes one release's reports (when the release itself is pruned). */
export async function removeAdoptionFile(dataDir: string, room: string, seq: number): Promise<void> {
  await rm(join(roomDir(dataDir, room), seqFileName(seq)), { force: true });
}
