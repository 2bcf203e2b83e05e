/**
 * The guarded rollouts' files: the current (or last) plan of each room, with every pre-signed release
 * it may still publish, so that a restarted relay resumes it.
 *
 *   plans/<room>.json   a StoredPlan
 *
 * Written atomically. The releases inside are checked again (`acceptRelease`) before each is published.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import { Count, PlanStatus, RoomName, SignedReleaseSchema, SlotName } from '../../protocol/index.ts';
import { writeFileAtomic } from './atomic.ts';

/** A plan as the relay keeps it. Times are Unix milliseconds. */
export const StoredPlanSchema = v.object({
  format: v.literal(1),
  room: RoomName,
  id: Count,
  status: v.picklist(Object.values(PlanStatus)),
  step: Count,
  steps: v.array(
    v.object({ signed: SignedReleaseSchema, percent: Count, publishedAt: v.exactOptional(Count) }),
  ),
  halt: SignedReleaseSchema,
  baseSeq: Count,
  slots: v.array(SlotName),
  dwellMs: Count,
  haltAbove: v.number(),
  startedAt: Count,
  stepStartedAt: Count,
  deadline: Count,
  endedAt: v.exactOptional(Count),
  reason: v.exactOptional(v.string()),
});
/** See {@link StoredPlanSchema}. */
export type StoredPlan = v.InferOutput<typeof StoredPlanSchema>;

/** Every plan file that parses; `log` hears of the others. */
export async function loadPlanFiles(dataDir: string, log: (m: string) => void): Promise<StoredPlan[]> {
  let names: string[];
  try {
    names = await readdir(join(dataDir, 'plans'));
  } catch {
    return [];
  }
  const out: StoredPlan[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const path = join(dataDir, 'plans', name);
    try {
      const parsed = v.safeParse(StoredPlanSchema, JSON.parse(await readFile(path, 'utf8')));
      if (parsed.success && `${parsed.output.room}.json` === name) out.push(parsed.output);
      else log(`plan file ${path} is malformed: skipped`);
    } catch (error) {
      log(`plan file ${path} is unreadable: skipped (${String(error)})`);
    }
  }
  return out;
}

/** Writes a room's plan. */
export function savePlanFile(dataDir: string, plan: StoredPlan): Promise<void> {
  return writeFileAtomic(join(dataDir, 'plans', `${plan.room}.json`), JSON.stringify(plan));
}
