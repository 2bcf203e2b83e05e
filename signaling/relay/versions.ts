/**
 * Version labels are unique per room: a label names one content (the blobs of every slot), so the
 * History page and `patchcast history` never show two different releases under one name. A release
 * may reuse a label for the same content (a rollback keeps its target's label; the steps of a guarded
 * rollout differ only in their rollout percent).
 */
import { ErrorCode, fail, type Release, type SignedRelease } from '../../protocol/index.ts';
import type { Refusal } from './relay.ts';

/** True when two releases name the same blob in every slot (rollouts and labels aside). */
export function sameContent(a: Release, b: Release): boolean {
  const names = Object.keys(a.slots);
  if (names.length !== Object.keys(b.slots).length) return false;
  return names.every((name) => a.slots[name]?.sha256 === b.slots[name]?.sha256);
}

/** A `DUPLICATE_VERSION` refusal when an earlier release of the room used the label for other content. */
export function duplicateVersion(history: readonly SignedRelease[], signed: SignedRelease): Refusal | null {
  const { version } = signed.release;
  const other = history.find((s) => s.release.version === version && !sameContent(s.release, signed.release));
  if (!other) return null;
  return fail(
    ErrorCode.DUPLICATE_VERSION,
    `version "${version}" is the label of seq ${other.release.seq}, which has other content: choose a label this room has not used`,
  );
}
