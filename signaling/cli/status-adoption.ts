/**
 * What `patchcast status` says of the newest release's adoption and of a guarded rollout: per slot
 * applied / failed (and what the failed players run instead) / skipped / pending, and the plan's
 * progress. In `--json` the newest release appears as `{ seq, slots: { [name]: { applied, failed,
 * skipped, pending, running } }, … }` at the top of the answer.
 */
import { PlanStatus, type PlanState, type ReleaseAdoption } from '../../protocol/index.ts';
import { adoptionOf, describePlan, planOf } from '../../publisher/guarded.ts';
import type { RelayApi } from '../../publisher/relay-api.ts';

/** The newest release's counts and the room's plan (null when none). */
export interface StatusAdoption {
  readonly newest: ReleaseAdoption | null;
  readonly plan: PlanState | null;
}

/** Fetches both. */
export async function statusAdoption(api: RelayApi, room: string): Promise<StatusAdoption> {
  const [releases, plan] = await Promise.all([adoptionOf(api, room), planOf(api, room)]);
  return { newest: releases[0] ?? null, plan };
}

/** The fields `status --json` adds at its top: the newest release's seq and slots, and more. */
export function adoptionJson(a: StatusAdoption): Record<string, unknown> {
  const n = a.newest;
  return {
    ...(n
      ? {
          seq: n.seq,
          version: n.version,
          slots: n.slots,
          players: n.players,
          onNewest: n.complete,
          failing: n.failing,
        }
      : { slots: {} }),
    ...(a.plan ? { plan: a.plan } : {}),
  };
}

/** The same, in lines of text. */
export function adoptionLines(a: StatusAdoption): string[] {
  const n = a.newest;
  const lines: string[] = [];
  if (n) {
    lines.push(
      `newest release ${n.version} (seq ${n.seq}): ${n.complete} of ${n.players} player(s) applied every slot, ${n.failing} failing`,
    );
    for (const [name, s] of Object.entries(n.slots)) {
      const instead = s.running.map((r) => `${r.version ?? 'built-in'} × ${r.count}`).join(', ');
      lines.push(
        `  ${name}: applied ${s.applied}, failed ${s.failed}${instead ? ` (running ${instead} instead)` : ''}, skipped ${s.skipped}, pending ${s.pending}`,
      );
    }
  }
  if (a.plan && (a.plan.status === PlanStatus.running || lines.length === 0 || a.plan.endedAt)) {
    const recent = a.plan.status === PlanStatus.running ? 'guarded rollout' : 'last guarded rollout';
    lines.push(`${recent}: ${describePlan(a.plan)}`);
  }
  return lines;
}
