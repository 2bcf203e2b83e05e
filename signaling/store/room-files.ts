/**
 * The files of one room in the data dir, read so that a file that is not there (a room whose creation
 * a crash cut short) is told apart from one that is there but damaged (torn by a disk, edited by hand,
 * unreadable): the store quarantines or degrades a room for the second, never for the first.
 *
 *   rooms/<room>/room.json           { format, room, createdAt, keys, rotations }
 *   rooms/<room>/last-seq.json       { format, seq }: the highest seq ever accepted in the room
 *   rooms/<room>/releases/<seq>.json a SignedRelease (seq zero-padded so names sort)
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import { Count, IsoTime, PublicKeyText, RoomName } from '../../protocol/index.ts';

/** A room's record: its keys and rotation records. */
export const RoomRecordSchema = v.object({
  format: v.literal(1),
  room: RoomName,
  createdAt: IsoTime,
  keys: v.array(PublicKeyText),
  /**
   * Key set records, in order. Records of the older, unversioned format are read and dropped at load
   * (the room keeps the keys they added, as version 1): they are not part of any chain.
   */
  rotations: v.array(v.unknown()),
});
/** What `room.json` holds. */
export type RoomRecord = v.InferOutput<typeof RoomRecordSchema>;

/** The durable floor of a room's seqs: it outlives the loss of the release files themselves. */
export const LastSeqSchema = v.object({ format: v.literal(1), seq: Count });

/** A file read: its value, not there at all, or there and damaged (with why). */
export type FileRead<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'absent' }
  | { readonly kind: 'damaged'; readonly why: string };

const SEQ_FILE_RE = /^(\d{1,16})\.json$/;

/** The file name of release `seq`. */
export function seqFileName(seq: number): string {
  return `${String(seq).padStart(12, '0')}.json`;
}

/** Paths of a room's files. */
export function roomFiles(roomDir: string) {
  return {
    record: join(roomDir, 'room.json'),
    lastSeq: join(roomDir, 'last-seq.json'),
    releases: join(roomDir, 'releases'),
  } as const;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads and validates a JSON file. */
export async function readJsonFile<T>(
  path: string,
  check: (json: unknown) => { ok: true; value: T } | { ok: false; why: string },
): Promise<FileRead<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'damaged', why: `unreadable: ${messageOf(error)}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { kind: 'damaged', why: `not JSON (${text.length} bytes): ${messageOf(error)}` };
  }
  const checked = check(json);
  return checked.ok ? { kind: 'ok', value: checked.value } : { kind: 'damaged', why: checked.why };
}

/** Reads `room.json` of room `name`. */
export function readRoomRecord(roomDir: string, name: string): Promise<FileRead<RoomRecord>> {
  return readJsonFile(roomFiles(roomDir).record, (json) => {
    const parsed = v.safeParse(RoomRecordSchema, json);
    if (!parsed.success) return { ok: false, why: `malformed: ${parsed.issues[0].message}` };
    if (parsed.output.room !== name) return { ok: false, why: `it names room "${parsed.output.room}"` };
    return { ok: true, value: parsed.output };
  });
}

/** Reads `last-seq.json`. */
export function readLastSeq(roomDir: string): Promise<FileRead<number>> {
  return readJsonFile(roomFiles(roomDir).lastSeq, (json) => {
    const parsed = v.safeParse(LastSeqSchema, json);
    return parsed.success
      ? { ok: true, value: parsed.output.seq }
      : { ok: false, why: `malformed: ${parsed.issues[0].message}` };
  });
}

/** The release files of a room, by the seq their names carry, ascending (none when no directory). */
export async function releaseFiles(roomDir: string): Promise<{ file: string; seq: number }[]> {
  let names: string[];
  try {
    names = await readdir(roomFiles(roomDir).releases);
  } catch {
    return [];
  }
  return names
    .map((f) => SEQ_FILE_RE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: m[0], seq: Number(m[1]) }))
    .sort((a, b) => a.seq - b.seq);
}
