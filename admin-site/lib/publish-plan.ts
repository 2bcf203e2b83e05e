/**
 * From what the admin changed on the publish page to the publisher's changes, and the page's calls
 * into the one publisher (`publisher/publisher.ts`) — the same module `patchcast publish` and
 * `patchcast rollback` use. No DOM here, so the rules are unit-tested and the admin's path is
 * compared with the CLI's (`publisher/parity.test.ts`).
 */
import { utf8 } from '../../protocol/bytes.ts';
import { WellKnownSlot, type ThemeConfig } from '../../protocol/config.ts';
import type { TextureMime } from '../../protocol/release.ts';
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

/** What the page holds when Publish is pressed. */
export interface PublishDraft {
  /** The editor's text, and the script in the current release (null when the room has none). */
  readonly script: { readonly text: string; readonly current: string | null };
  /** A picked texture that passed its checks, or null. */
  readonly texture: { readonly bytes: Uint8Array; readonly mime: TextureMime } | null;
  /** The theme on the form, and the current one (null when the room has none). */
  readonly theme: { readonly value: ThemeConfig; readonly current: ThemeConfig | null };
  readonly version: string;
  /** 1–100; 100 means everyone. */
  readonly rolloutPercent: number;
}

/** True when two themes say the same (colour case does not matter). */
export function sameTheme(a: ThemeConfig | null, b: ThemeConfig | null): boolean {
  if (!a || !b) return a === b;
  return (
    a.background?.toLowerCase() === b.background?.toLowerCase() &&
    a.ball?.toLowerCase() === b.ball?.toLowerCase() &&
    a.ballRadius === b.ballRadius
  );
}

/**
 * The changes a draft asks for: the logic script when edited (never an empty one), a picked texture,
 * and the form's theme as an edit of the live theme when it differs (colours in lower case).
 */
export function draftChanges(draft: PublishDraft): Change[] {
  const changes: Change[] = [];
  if (draft.script.text !== draft.script.current && draft.script.text.trim() !== '') {
    changes.push({
      op: 'set',
      slot: WellKnownSlot.logic,
      content: { kind: 'script', lang: 'js', bytes: utf8(draft.script.text) },
    });
  }
  if (draft.texture) {
    changes.push({
      op: 'set',
      slot: WellKnownSlot.background,
      content: { kind: 'texture', bytes: draft.texture.bytes, mime: draft.texture.mime },
    });
  }
  if (!sameTheme(draft.theme.value, draft.theme.current)) {
    const { background, ball, ballRadius } = draft.theme.value;
    changes.push({
      op: 'theme',
      patch: {
        ...(background === undefined ? {} : { background: background.toLowerCase() }),
        ...(ball === undefined ? {} : { ball: ball.toLowerCase() }),
        ...(ballRadius === undefined ? {} : { ballRadius }),
      },
    });
  }
  return changes;
}

/** Where the admin publishes, with which key of this browser. */
export interface AdminTarget {
  readonly relay: string;
  readonly room: string;
  readonly key: StoredKey;
}

/** Injected for tests: the relay's `fetch` and the clock. */
export interface AdminDeps {
  readonly fetch?: Fetch;
  readonly now?: () => Date;
}

/** The publisher for this browser's key: the keys it signed with before a rotation are trusted too. */
export function adminPublisher(target: AdminTarget, deps: AdminDeps = {}): PublisherContext {
  return {
    api: new RelayApi(target.relay, deps.fetch),
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
    changes: draftChanges(draft),
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
