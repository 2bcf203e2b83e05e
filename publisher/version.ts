/**
 * Version labels a publisher proposes. A label names content for people (the History page, `patchcast
 * history`), so a new release gets one no earlier release of the room used.
 */
import type { SignedRelease } from '../protocol/release.ts';

/** The label after `previous`: bumps its last number (`1.2.9` → `1.2.10`), else appends `.1`; `1.0.0` first. */
export function suggestNextVersion(previous: string | undefined): string {
  if (!previous) return '1.0.0';
  const m = /^(.*?)(\d+)(\D*)$/.exec(previous);
  if (!m) return `${previous}.1`;
  return `${m[1]!}${Number(m[2]!) + 1}${m[3]!}`;
}

/**
 * The label to propose for the next release of a room: the one after the live release's label,
 * bumped again while a release in `history` already uses it. After a rollback to 1.0.1 of a history
 * 1.0.0…1.0.3, that is 1.0.4, not 1.0.2 again.
 */
export function nextUnusedVersion(history: readonly SignedRelease[]): string {
  const used = new Set(history.map((s) => s.release.version));
  const live = history.reduce<SignedRelease | null>(
    (best, s) => (best === null || s.release.seq > best.release.seq ? s : best),
    null,
  );
  let next = suggestNextVersion(live?.release.version);
  // Each bump changes the label, and `used` is finite: this ends within |used| + 1 steps.
  while (used.has(next)) next = suggestNextVersion(next);
  return next;
}
