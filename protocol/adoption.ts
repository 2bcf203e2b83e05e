/**
 * Adoption: how the players of a room took each release, per slot — the counts the relay keeps per
 * release (`GET /api/rooms/:room/adoption`) and that the dashboard, the history and
 * `patchcast status` show. Only players are counted: admin pages and tools are not.
 */
import * as v from 'valibot';
import { ErrorCode } from './errors.ts';
import { Count, IsoTime, RoomName, Sha256Hex, SlotName, VersionLabel } from './release.ts';
import { validator } from './validate.ts';

/** Path of a room's adoption counts (every release the relay keeps, newest first). */
export const adoptionPath = (room: string): string => `/api/rooms/${encodeURIComponent(room)}/adoption`;

/** What players that failed a slot run instead, and how many of them. */
export const RunningInsteadSchema = v.object({
  /** The label of what they run; null for the game's built-in content. */
  version: v.nullable(VersionLabel),
  sha256: v.exactOptional(Sha256Hex),
  count: Count,
});
/** See {@link RunningInsteadSchema}. */
export type RunningInstead = v.InferOutput<typeof RunningInsteadSchema>;

/**
 * One slot of one release: players that applied it, failed it (and what they run instead), were left
 * out by its staged rollout (or were not meant to run it, such as a python script), or have not
 * answered yet though connected (`pending`; only ever counted for the room's newest release).
 */
export const SlotAdoptionSchema = v.object({
  applied: Count,
  failed: Count,
  skipped: Count,
  pending: Count,
  running: v.array(RunningInsteadSchema),
});
/** See {@link SlotAdoptionSchema}. */
export type SlotAdoption = v.InferOutput<typeof SlotAdoptionSchema>;

/** One release's adoption. */
export const ReleaseAdoptionSchema = v.object({
  seq: Count,
  version: VersionLabel,
  createdAt: IsoTime,
  /** Players that answered for this release, plus (newest release only) connected ones still pending. */
  players: Count,
  /** Players that applied every slot of the release meant for them. */
  complete: Count,
  /** Players with at least one failed slot. */
  failing: Count,
  slots: v.record(SlotName, SlotAdoptionSchema),
});
/** See {@link ReleaseAdoptionSchema}. */
export type ReleaseAdoption = v.InferOutput<typeof ReleaseAdoptionSchema>;

/** `GET /api/rooms/:room/adoption`: every release the relay keeps, newest first. */
export const AdoptionBodySchema = v.object({
  room: RoomName,
  releases: v.array(ReleaseAdoptionSchema),
});
/** See {@link AdoptionBodySchema}. */
export type AdoptionBody = v.InferOutput<typeof AdoptionBodySchema>;
/** Validates an adoption answer. */
export const parseAdoptionBody = validator(AdoptionBodySchema, ErrorCode.BAD_MESSAGE, 'adoption answer');

/** Slots of `adoption` that some players failed: a release built on it should not keep them silently. */
export function failedSlots(adoption: ReleaseAdoption | undefined): string[] {
  if (!adoption) return [];
  return Object.entries(adoption.slots)
    .filter(([, s]) => s.failed > 0)
    .map(([name]) => name);
}
