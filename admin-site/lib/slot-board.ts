/**
 * The Publish page's slot model, built from the room's live release: every slot it holds with its
 * kind, what the admin did to each (edited, removed, added) and the publisher's changes that follow.
 * No DOM here, so the rules are unit-tested (`slot-board.test.ts`).
 *
 * - A room shows **exactly the slots of its live release**; none is marked changed until edited.
 * - The demo game's slots (`logic`, `background`, `theme`) are **offered** — shown empty or with a
 *   starter, never part of a release until edited or included — only to a room that has no release
 *   yet or whose release has the demo's `logic` script. A game's own room never sees them.
 * - Slots are added by name (the protocol's `SlotName` rule) and kind, and removed; a removed live
 *   slot becomes a `remove` change, which the publisher turns into a release without it.
 */
import * as v from 'valibot';
import { utf8 } from '../../protocol/bytes.ts';
import { parseConfigBlob, WellKnownSlot, type ThemeConfig } from '../../protocol/config.ts';
import { ErrorCode, fail, ok, type Result } from '../../protocol/errors.ts';
import { MAX_SLOTS } from '../../protocol/limits.ts';
import {
  SlotName,
  type Release,
  type Slot,
  type SlotKind,
  type TextureMime,
} from '../../protocol/release.ts';
import type { Change } from '../../publisher/plan.ts';

/** What the page holds for a slot's content. A theme is a config edited with colour pickers. */
export type Draft =
  | { readonly kind: 'script'; readonly text: string }
  | { readonly kind: 'texture'; readonly bytes: Uint8Array; readonly mime: TextureMime }
  | { readonly kind: 'config'; readonly text: string }
  | { readonly kind: 'theme'; readonly value: ThemeConfig };

/**
 * Where a slot stands: `live` (in the release), `removed` (in the release, dropped by this publish),
 * `added` (new in this publish) or `offered` (a demo slot the release lacks, not part of the publish).
 */
export type SlotState = 'live' | 'removed' | 'added' | 'offered';

/** What a slot's badge says. */
export type SlotStatus = 'unchanged' | 'changed' | 'new' | 'removed' | 'offered';

/** One slot on the page. */
export interface SlotEntry {
  readonly name: string;
  readonly kind: SlotKind;
  /** The slot in the live release; null when it is not in it. */
  readonly live: Slot | null;
  readonly state: SlotState;
  /** The live content as loaded (script or config text, theme); null until loaded, or a texture. */
  readonly liveContent: Draft | null;
  /** The content on the page; null for a texture nobody picked (or a slot not loaded yet). */
  readonly draft: Draft | null;
  /** True for content the page cannot edit (a Python script for seed-protocol clients). */
  readonly readOnly: boolean;
  /** True for a slot of the demo game (it goes back to `offered` when an added one is removed). */
  readonly demo: boolean;
}

/** The demo game's slots, in the order the page shows them. */
export const DEMO_SLOTS: readonly { readonly name: string; readonly kind: SlotKind }[] = [
  { name: WellKnownSlot.logic, kind: 'script' },
  { name: WellKnownSlot.background, kind: 'texture' },
  { name: WellKnownSlot.theme, kind: 'config' },
];

/** The theme colour pickers start from when a room has none. */
export const DEFAULT_THEME = { background: '#1d2330', ball: '#ff6b3d', ballRadius: 24 } as const;

/** Options of {@link SlotBoard.fromRelease}. */
export interface BoardOptions {
  /** The text an offered demo `logic` slot starts with. */
  readonly starterScript?: string;
}

/** What a publish of the board sends, and what stops it. */
export interface BoardPlan {
  readonly changes: Change[];
  /** Slots the publish changes, in page order, with what happens to each. */
  readonly changed: readonly { readonly name: string; readonly status: SlotStatus }[];
  /** Why the board cannot be published as it is (an empty new slot, invalid JSON…); empty: it can. */
  readonly problems: readonly string[];
}

const KIND_ORDER: Readonly<Record<SlotKind, number>> = { script: 0, texture: 1, config: 2 };

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
 * The script contract the page knows for a slot: `ball` (the demo's `update(ball, world, dt)`) for
 * `logic`, none for any other slot — those get a load check only (`dry-run.ts`).
 */
export function contractOf(slot: string): 'ball' | null {
  return slot === WellKnownSlot.logic ? 'ball' : null;
}

/** True for the slot the theme colour pickers edit. */
export const isThemeSlot = (name: string, kind: SlotKind): boolean =>
  name === WellKnownSlot.theme && kind === 'config';

function sameDraft(a: Draft | null, b: Draft | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind === 'theme' && b.kind === 'theme') return sameTheme(a.value, b.value);
  if (a.kind === 'script' && b.kind === 'script') return a.text === b.text;
  if (a.kind === 'config' && b.kind === 'config') return a.text === b.text;
  return a === b;
}

/** The content a slot starts with when it is added (or offered) without any. */
function emptyDraft(name: string, kind: SlotKind, starter: string): Draft | null {
  if (isThemeSlot(name, kind)) return { kind: 'theme', value: { ...DEFAULT_THEME } };
  if (kind === 'script') return { kind: 'script', text: name === WellKnownSlot.logic ? starter : '' };
  if (kind === 'config') return { kind: 'config', text: '{\n}\n' };
  return null;
}

/** The page's slots and what the admin did to them. */
export class SlotBoard {
  private readonly slots = new Map<string, SlotEntry>();
  private readonly starter: string;

  private constructor(starter: string) {
    this.starter = starter;
  }

  /**
   * The board of a room whose live release is `release` (null: none yet, or it could not be read):
   * its slots, all unchanged, plus the demo's slots on offer to a room of the demo game.
   */
  static fromRelease(release: Release | null, options: BoardOptions = {}): SlotBoard {
    const board = new SlotBoard(options.starterScript ?? '');
    const slots = Object.entries(release?.slots ?? {}).sort(
      ([a, x], [b, y]) => KIND_ORDER[x.kind] - KIND_ORDER[y.kind] || a.localeCompare(b),
    );
    for (const [name, slot] of slots) {
      const demo = DEMO_SLOTS.some((d) => d.name === name && d.kind === slot.kind);
      const readOnly = slot.kind === 'script' && slot.lang === 'python';
      board.put({
        name,
        kind: slot.kind,
        live: slot,
        state: 'live',
        liveContent: null,
        draft: null,
        readOnly,
        demo,
      });
    }
    const logic = release?.slots[WellKnownSlot.logic];
    if (!release || logic?.kind === 'script') {
      for (const { name, kind } of DEMO_SLOTS) if (!board.slots.has(name)) board.offer(name, kind);
    }
    return board;
  }

  /** Every slot, in page order: the release's (scripts, textures, configs), then offered and added ones. */
  entries(): readonly SlotEntry[] {
    return [...this.slots.values()];
  }

  /** One slot, or undefined. */
  get(name: string): SlotEntry | undefined {
    return this.slots.get(name);
  }

  /** Records a live slot's content once fetched; the page's draft starts from it. */
  setLive(name: string, content: Draft): void {
    const entry = this.slots.get(name);
    if (!entry || entry.state === 'offered' || entry.state === 'added') return;
    this.put({ ...entry, liveContent: content, draft: content.kind === 'texture' ? null : content });
  }

  /** New content for a slot; an offered slot becomes an added one. */
  edit(name: string, draft: Draft | null): void {
    const entry = this.slots.get(name);
    if (!entry || entry.readOnly || entry.state === 'removed') return;
    // Picking content for an offered slot adds it; clearing a picker does not.
    this.put({ ...entry, draft, state: entry.state === 'offered' && draft !== null ? 'added' : entry.state });
  }

  /** Puts an offered slot in the publish as it is (the starter script, the default theme). */
  include(name: string): void {
    const entry = this.slots.get(name);
    if (entry?.state === 'offered') this.put({ ...entry, state: 'added' });
  }

  /** Back to the live content (a live slot) or the slot's starting content (an added one). */
  revert(name: string): void {
    const entry = this.slots.get(name);
    if (!entry) return;
    if (entry.live)
      this.put({ ...entry, draft: entry.liveContent?.kind === 'texture' ? null : entry.liveContent });
    else this.put({ ...entry, draft: emptyDraft(name, entry.kind, this.starter) });
  }

  /** Adds a slot the release does not have; the name follows the protocol's slot-name rule. */
  add(name: string, kind: SlotKind): Result<SlotEntry, typeof ErrorCode.BAD_SLOT> {
    if (!v.is(SlotName, name)) {
      return fail(
        ErrorCode.BAD_SLOT,
        `“${name}” is not a slot name: a lower-case letter first, then a–z, 0–9, “_” or “-”, at most 32 in all`,
      );
    }
    const existing = this.slots.get(name);
    if (existing && existing.state !== 'offered') {
      return fail(
        ErrorCode.BAD_SLOT,
        existing.state === 'removed'
          ? `slot “${name}” is marked for removal: undo that to keep it`
          : `there is already a slot named “${name}”`,
      );
    }
    const used = this.entries().filter((e) => e.state === 'live' || e.state === 'added').length;
    if (used >= MAX_SLOTS) return fail(ErrorCode.BAD_SLOT, `a release holds at most ${MAX_SLOTS} slots`);
    const demo = DEMO_SLOTS.some((d) => d.name === name && d.kind === kind);
    const entry: SlotEntry =
      existing && existing.kind === kind
        ? { ...existing, state: 'added' }
        : {
            name,
            kind,
            live: null,
            state: 'added',
            liveContent: null,
            draft: emptyDraft(name, kind, this.starter),
            readOnly: false,
            demo,
          };
    this.slots.delete(name); // an added slot goes to the end of the page
    this.put(entry);
    return ok(entry);
  }

  /** Removes a slot: a live one is dropped by the publish; an added one goes (a demo one back on offer). */
  remove(name: string): void {
    const entry = this.slots.get(name);
    if (!entry) return;
    if (entry.state === 'live') this.put({ ...entry, state: 'removed' });
    else if (entry.state === 'added' && entry.demo) {
      this.slots.delete(name);
      this.offer(name, entry.kind);
    } else if (entry.state !== 'removed') this.slots.delete(name);
  }

  /** Undoes a removal. */
  restore(name: string): void {
    const entry = this.slots.get(name);
    if (entry?.state === 'removed') this.put({ ...entry, state: 'live' });
  }

  /** What a slot's badge says. */
  status(name: string): SlotStatus {
    const entry = this.slots.get(name);
    if (!entry) return 'unchanged';
    if (entry.state === 'removed' || entry.state === 'offered') return entry.state;
    if (entry.state === 'added') return 'new';
    if (entry.live?.kind === 'texture') return entry.draft ? 'changed' : 'unchanged';
    return entry.liveContent && !sameDraft(entry.draft, entry.liveContent) ? 'changed' : 'unchanged';
  }

  /** The publisher's changes for the board, and what would stop a publish. */
  plan(): BoardPlan {
    const changes: Change[] = [];
    const changed: { name: string; status: SlotStatus }[] = [];
    const problems: string[] = [];
    for (const entry of this.slots.values()) {
      const status = this.status(entry.name);
      if (status === 'removed') {
        changes.push({ op: 'remove', slot: entry.name });
        changed.push({ name: entry.name, status });
        continue;
      }
      if (status !== 'changed' && status !== 'new') continue;
      const change = toChange(entry);
      if (typeof change === 'string') problems.push(`${entry.name}: ${change}`);
      else changes.push(change);
      changed.push({ name: entry.name, status });
    }
    return { changes, changed, problems };
  }

  private put(entry: SlotEntry): void {
    this.slots.set(entry.name, entry);
  }

  private offer(name: string, kind: SlotKind): void {
    this.put({
      name,
      kind,
      live: null,
      state: 'offered',
      liveContent: null,
      draft: emptyDraft(name, kind, this.starter),
      readOnly: false,
      demo: true,
    });
  }
}

/** The change for a slot's content, or why there is none. */
function toChange(entry: SlotEntry): Change | string {
  const draft = entry.draft;
  if (draft === null) return entry.kind === 'texture' ? 'pick an image' : 'no content yet';
  switch (draft.kind) {
    case 'script':
      if (draft.text.trim() === '') return 'the script is empty';
      return {
        op: 'set',
        slot: entry.name,
        content: { kind: 'script', lang: 'js', bytes: utf8(draft.text) },
      };
    case 'texture':
      return {
        op: 'set',
        slot: entry.name,
        content: { kind: 'texture', bytes: draft.bytes, mime: draft.mime },
      };
    case 'config': {
      const bytes = utf8(draft.text);
      const parsed = parseConfigBlob(entry.name, bytes);
      if (!parsed.ok) return parsed.message;
      return { op: 'set', slot: entry.name, content: { kind: 'config', bytes } };
    }
    case 'theme': {
      // An edit of the live theme (the CLI's `--color` rule): fields given replace, others are kept.
      const { background, ball, ballRadius } = draft.value;
      return {
        op: 'theme',
        patch: {
          ...(background === undefined ? {} : { background: background.toLowerCase() }),
          ...(ball === undefined ? {} : { ball: ball.toLowerCase() }),
          ...(ballRadius === undefined ? {} : { ballRadius }),
        },
      };
    }
  }
}

/** Checks a config text as the relay and the player will: JSON object, size, the theme's schema. */
export function checkConfigText(name: string, text: string): Result<unknown> {
  return parseConfigBlob(name, utf8(text));
}
