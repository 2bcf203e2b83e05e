/**
 * The Publish page's honest-rollout parts: the warning when the release would keep a slot that failed
 * on players in the live release (with a box to revert those slots to their content before), and the
 * guarded-rollout fields (steps, dwell, halt threshold). The same publisher functions as the CLI's.
 */
import type { Change } from '../../publisher/plan.ts';
import { adoptionOf, checkSteps, publishGuarded, type GuardOptions } from '../../publisher/guarded.ts';
import {
  carriedFailures,
  describeCarried,
  revertChanges,
  type CarriedFailure,
} from '../../publisher/known-bad.ts';
import type { PublishOutcome, PublishStep } from '../../publisher/publisher.ts';
import type { RelayApi } from '../../publisher/relay-api.ts';
import { byId, h, replaceChildren } from '../lib/dom.ts';
import { adminPublisher, type AdminTarget } from '../lib/publish-plan.ts';

const carriedHost = byId('carried', HTMLElement);
const revert = byId('revert-failed', HTMLInputElement);
const guarded = byId('guarded', HTMLInputElement);
const stepsInput = byId('steps', HTMLInputElement);
const dwellInput = byId('dwell', HTMLInputElement);
const haltInput = byId('halt-above', HTMLInputElement);

let carried: CarriedFailure[] = [];

/**
 * Looks at the live release's counts: the slots players failed that `changing` leaves alone are
 * shown as a warning (with the revert box), and remembered for {@link withReverts}.
 */
export async function showCarried(api: RelayApi, room: string, changing: readonly string[]): Promise<void> {
  const [live, counts] = await Promise.all([api.latest(room), adoptionOf(api, room).catch(() => [])]);
  carried = carriedFailures(live, counts[0], changing);
  carriedHost.hidden = carried.length === 0;
  replaceChildren(
    byId('carried-list', HTMLElement),
    ...describeCarried(carried).map((line) => h('li', { 'data-testid': 'carried' }, line)),
  );
}

/** The page's changes, plus the reverts of the failed slots when the box is ticked. */
export async function withReverts(
  api: RelayApi,
  room: string,
  changes: readonly Change[],
): Promise<Change[]> {
  if (!revert.checked || carried.length === 0) return [...changes];
  return [...changes, ...(await revertChanges(api, await api.history(room), carried))];
}

/** The guarded-rollout fields, or null when the box is not ticked; a string says what is wrong. */
export function guardOf(): GuardOptions | string | null {
  if (!guarded.checked) return null;
  const steps = stepsInput.value.split(',').map((s) => Number(s.trim()));
  const bad = checkSteps(steps);
  if (bad) return `Steps: ${bad}.`;
  const dwellMs = Math.round(Number(dwellInput.value) * 1000);
  if (!(dwellMs >= 500)) return 'Dwell: at least 0.5 s.';
  const haltAbove = Number(haltInput.value) / 100;
  if (!(haltAbove >= 0 && haltAbove <= 1)) return 'Halt above: a percent, 0–100.';
  return { steps, dwellMs, haltAbove };
}

/** Publishes as a guarded rollout (signed here: every step and the halt). */
export function publishGuardedDraft(
  target: AdminTarget,
  draft: { readonly changes: readonly Change[]; readonly version: string; readonly notes?: string },
  guard: GuardOptions,
  onStep: (step: PublishStep) => void,
): Promise<PublishOutcome> {
  return publishGuarded(
    adminPublisher(target),
    {
      changes: draft.changes,
      version: draft.version,
      ...(draft.notes ? { notes: draft.notes } : {}),
      onStep,
    },
    guard,
  );
}
