/**
 * What every slot card shares: the page's hooks, the cards' element ids, a button, the revert button.
 */
import { WellKnownSlot } from '../../protocol/config.ts';
import { h } from '../lib/dom.ts';
import type { Draft, SlotBoard, SlotEntry } from '../lib/slot-board.ts';

/** What the cards need from the page. */
export interface CardHooks {
  readonly board: SlotBoard;
  /** After a content edit: badges, plan line, Publish button. */
  changed(): void;
  /** After a slot was added, removed or restored: the cards are drawn again. */
  restructured(): void;
  /** Runs the check of a script slot (dry run or load check) and shows it. */
  check(name: string): void;
  /** The bytes of a live blob (checked against its hash), for a texture's live preview. */
  liveBlob(sha256: string): Promise<Uint8Array>;
}

/**
 * Element ids of a card. The demo's slots keep the ids the page had before it showed any room's slots
 * (`script-file`, `texture-file`, `theme-ball`…), so links, tests and tools that name them still work;
 * any other slot's parts are `slot-NAME-PART`.
 */
const DEMO_IDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  [WellKnownSlot.logic]: {
    badge: 'logic-badge',
    file: 'script-file',
    revert: 'script-revert',
    editor: 'editor',
    check: 'dry-run',
    'check-status': 'dry-status',
    path: 'dry-path',
  },
  [WellKnownSlot.background]: {
    badge: 'texture-badge',
    file: 'texture-file',
    status: 'texture-status',
    preview: 'texture-preview',
    clear: 'texture-clear',
    live: 'texture-live',
  },
  [WellKnownSlot.theme]: {
    badge: 'theme-badge',
    background: 'theme-background',
    ball: 'theme-ball',
    radius: 'theme-radius',
    revert: 'theme-revert',
  },
};

/** The id of a part of a slot's card. */
export function partId(entry: Pick<SlotEntry, 'name' | 'demo'>, part: string): string {
  return (entry.demo ? DEMO_IDS[entry.name]?.[part] : undefined) ?? `slot-${entry.name}-${part}`;
}

/** A button that runs `onClick`. */
export function button(
  id: string,
  text: string,
  onClick: () => void,
  attrs: Record<string, string> = {},
): HTMLElement {
  const el = h('button', { id, type: 'button', ...attrs }, text);
  el.addEventListener('click', onClick);
  return el;
}

/**
 * A live slot's "Revert to live" button (null for a slot that is not live): the board goes back to the
 * live content, and `show` puts that draft into the card's inputs.
 */
export function revertButton(
  entry: SlotEntry,
  hooks: CardHooks,
  show: (draft: Draft | null) => void,
): HTMLElement | null {
  if (!entry.live) return null;
  return button(partId(entry, 'revert'), 'Revert to live', () => {
    hooks.board.revert(entry.name);
    show(hooks.board.get(entry.name)?.draft ?? null);
  });
}

/** A row of buttons, or null when none of them is there. */
export function buttonRow(...buttons: (HTMLElement | null)[]): HTMLElement | null {
  const present = buttons.filter((b): b is HTMLElement => b !== null);
  return present.length > 0 ? h('div', { class: 'buttons' }, ...present) : null;
}
