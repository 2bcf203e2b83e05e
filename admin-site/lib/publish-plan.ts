/**
 * The pages' calls into the one publisher (`publisher/publisher.ts`) — the same module `patchcast
 * publish` and `patchcast rollback` use: the Publish page publishes its slot board's changes
 * (`slot-board.ts`), the History page rolls back. No DOM here, so the admin's path is compared with
 * the CLI's (`publisher/parity.test.ts`).
 */
import type { Change } from '../../publisher/plan.ts';
import {
  publishChanges,
  rollbackTo,
  type PublishOutcome,
  type PublisherContext,
  type PublishStep,
  type RollbackOutcome,
  type RollbackRequest,
} from '../../publisher/publisher.ts';
import { RelayApi, type Fetch } from '../../publisher/relay-api.ts';
import { signingKeyOf, type StoredKey } from './keystore.ts';
import { getOperatorToken } from './settings.ts';

/** What the page publishes: the slot board's changes (`slot-board.ts`) and the release's fields. */
export interface PublishDraft {
  readonly changes: readonly Change[];
  readonly version: string;
  /** 1–100; 100 means everyone. */
  readonly rolloutPercent: number;
}

/** Where the admin publishes, with which key of this browser. */
export interface AdminTarget {
  readonly relay: string;
  readonly room: string;
  readonly key: StoredKey;
  /** The relay's operator token, which a room's first publish needs (default: the stored setting). */
  readonly operatorToken?: string | null;
}

/** Injected for tests: the relay's `fetch` and the clock. */
export interface AdminDeps {
  readonly fetch?: Fetch;
  readonly now?: () => Date;
}

/** The publisher for this browser's key: the keys it signed with before a rotation are trusted too. */
export function adminPublisher(target: AdminTarget, deps: AdminDeps = {}): PublisherContext {
  return {
    api: new RelayApi(target.relay, deps.fetch, target.operatorToken ?? getOperatorToken()),
    room: target.room,
    key: signingKeyOf(target.key),
    pinned: target.key.previousKeys ?? [],
    ...(deps.now ? { now: deps.now } : {}),
  };
}

/** Publishes what the page's draft changes (the Publish button). */
export function publishDraft(
  target: AdminTarget,
  draft: PublishDraft,
  options: { readonly notes?: string; readonly onStep?: (step: PublishStep) => void } = {},
  deps: AdminDeps = {},
): Promise<PublishOutcome> {
  return publishChanges(adminPublisher(target, deps), {
    changes: draft.changes,
    version: draft.version,
    rolloutPercent: draft.rolloutPercent,
    ...(options.notes ? { notes: options.notes } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
  });
}

/** Rolls back to release `toSeq` (a History page button); null when the confirmation said no. */
export function rollbackToSeq(
  target: AdminTarget,
  toSeq: number,
  options: Pick<RollbackRequest, 'confirm' | 'onStep'> = {},
  deps: AdminDeps = {},
): Promise<RollbackOutcome | null> {
  return rollbackTo(adminPublisher(target, deps), { toSeq, ...options });
}
