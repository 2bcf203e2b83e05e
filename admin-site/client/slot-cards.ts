/**
 * The Publish page's slot cards, one per slot of the board (`../lib/slot-board.ts`): a script editor
 * with its check (`script-card.ts`), an image picker with a preview checked to decode, a JSON editor
 * checked as the relay will, or — for the demo's `theme` slot — the colour pickers. Every card can
 * remove its slot (or undo that). Cards write to the board; the page redraws badges and the plan.
 */
import type { ThemeConfig } from '../../protocol/config.ts';
import type { SlotKind } from '../../protocol/release.ts';
import { h, replaceChildren, say, type Child } from '../lib/dom.ts';
import {
  checkConfigText,
  DEFAULT_THEME,
  type SlotBoard,
  type SlotEntry,
  type SlotStatus,
} from '../lib/slot-board.ts';
import { checkTexture, formatBytes, TextureError } from '../lib/texture.ts';
import { button, buttonRow, partId, revertButton, type CardHooks } from './card-parts.ts';
import { clearEditors, scriptBody } from './script-card.ts';

const KIND_WORDS: Readonly<Record<SlotKind, string>> = {
  script: 'script',
  texture: 'texture',
  config: 'config',
};

const BADGE_WORDS: Readonly<Record<SlotStatus, string>> = {
  unchanged: 'unchanged',
  changed: 'changed',
  new: 'new slot',
  removed: 'will be removed',
  offered: 'not in the release',
};

/** Sets every card's badge from the board. */
export function updateBadges(board: SlotBoard): void {
  for (const entry of board.entries()) {
    const el = document.getElementById(partId(entry, 'badge'));
    if (!el) continue;
    const status = board.status(entry.name);
    el.textContent = BADGE_WORDS[status];
    el.className = status === 'unchanged' || status === 'offered' ? 'badge' : 'badge warn';
    el.closest('[data-slot]')?.setAttribute('data-status', status);
  }
}

/** Draws every slot's card into `host`. */
export function drawCards(host: HTMLElement, hooks: CardHooks): void {
  clearEditors();
  const cards = hooks.board.entries().map((entry) => card(entry, hooks));
  if (cards.length === 0) {
    replaceChildren(host, h('p', { class: 'empty card' }, 'This release has no slots. Add one below.'));
  } else replaceChildren(host, ...cards);
  updateBadges(hooks.board);
}

function card(entry: SlotEntry, hooks: CardHooks): HTMLElement {
  const { board } = hooks;
  const id = (part: string) => partId(entry, part);
  const actions: Child[] = [];
  if (entry.state === 'offered') {
    actions.push(
      button(id('include'), 'Add to the release', () => {
        board.include(entry.name);
        hooks.changed();
      }),
    );
  } else if (entry.state === 'removed') {
    actions.push(
      button(id('restore'), 'Keep this slot', () => {
        board.restore(entry.name);
        hooks.restructured();
      }),
    );
  } else {
    actions.push(
      button(id('remove'), entry.live ? 'Remove slot' : 'Discard', () => {
        board.remove(entry.name);
        hooks.restructured();
      }),
    );
  }
  const body =
    entry.state === 'removed'
      ? [h('p', { class: 'hint' }, 'The next release drops this slot; players remove it from the game.')]
      : cardBody(entry, hooks);
  return h(
    'section',
    { class: 'card slot-card', 'data-slot': entry.name, 'data-kind': entry.kind, 'aria-labelledby': id('h') },
    h(
      'div',
      { class: 'row' },
      h(
        'h2',
        { id: id('h'), class: 'grow' },
        h('code', {}, entry.name),
        ' ',
        h('span', { class: 'kind', 'data-testid': 'slot-kind' }, KIND_WORDS[entry.kind]),
        ' ',
        h('span', { id: id('badge'), class: 'badge' }, ''),
      ),
      ...actions,
    ),
    ...body,
  );
}

function cardBody(entry: SlotEntry, hooks: CardHooks): Child[] {
  if (entry.kind === 'script') return scriptBody(entry, hooks);
  if (entry.kind === 'texture') return textureBody(entry, hooks);
  return entry.draft?.kind === 'theme' ? themeBody(entry, hooks) : configBody(entry, hooks);
}

function textureBody(entry: SlotEntry, hooks: CardHooks): Child[] {
  const id = (part: string) => partId(entry, part);
  const input = h('input', { id: id('file'), type: 'file', accept: 'image/png,image/jpeg,image/webp' });
  const status = h('p', { id: id('status'), class: 'status', role: 'status', 'aria-live': 'polite' });
  const preview = h('img', {
    id: id('preview'),
    class: 'preview',
    alt: `Preview of the new ${entry.name}`,
    hidden: true,
  });
  const clear = h(
    'button',
    { id: id('clear'), type: 'button', hidden: true },
    entry.live ? 'Keep the live texture' : 'Clear',
  );
  const live = h('div', { id: id('live') });
  const reset = () => {
    input.value = '';
    preview.hidden = true;
    clear.hidden = true;
    replaceChildren(status);
    hooks.board.edit(entry.name, null);
    hooks.changed();
  };
  clear.addEventListener('click', reset);
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (!file) return;
    preview.hidden = true;
    say(status, 'info', `Checking ${file.name}…`);
    void (async () => {
      try {
        const checked = await checkTexture(new Uint8Array(await file.arrayBuffer()));
        hooks.board.edit(entry.name, { kind: 'texture', bytes: checked.bytes, mime: checked.mime });
        preview.src = URL.createObjectURL(new Blob([new Uint8Array(checked.bytes)], { type: checked.mime }));
        preview.hidden = false;
        clear.hidden = false;
        say(
          status,
          'ok',
          `${file.name}: ${checked.mime}, ${checked.width}×${checked.height} px, ${formatBytes(checked.bytes.length)} — decodes fine.`,
        );
      } catch (error) {
        input.value = '';
        hooks.board.edit(entry.name, null);
        say(
          status,
          'error',
          error instanceof TextureError ? error.message : `Could not read the file: ${String(error)}`,
        );
      }
      hooks.changed();
    })();
  });
  const slot = entry.live;
  if (slot?.kind === 'texture') {
    void hooks.liveBlob(slot.sha256).then(
      (bytes) => {
        const url = URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type: slot.mime }));
        replaceChildren(
          live,
          h('h3', {}, 'Live texture'),
          h('img', { class: 'preview', src: url, alt: `Live ${entry.name}, version ${slot.version}` }),
          h('p', { class: 'hint' }, `${slot.version} · ${slot.mime} · ${formatBytes(slot.size)}`),
        );
      },
      (error: unknown) =>
        replaceChildren(
          live,
          h('p', { class: 'warn-text' }, `The live texture could not be loaded: ${String(error)}`),
        ),
    );
  }
  return [
    h('label', { for: id('file') }, 'Image file (PNG, JPEG or WebP)'),
    input,
    status,
    preview,
    h('div', { class: 'buttons' }, clear),
    live,
  ];
}

function configBody(entry: SlotEntry, hooks: CardHooks): Child[] {
  const id = (part: string) => partId(entry, part);
  const text = entry.draft?.kind === 'config' ? entry.draft.text : '';
  const area = h('textarea', {
    id: id('json'),
    class: 'mono json',
    rows: Math.min(16, Math.max(4, text.split('\n').length + 1)),
    spellcheck: 'false',
    'aria-label': `JSON of slot ${entry.name}`,
  });
  area.value = text;
  const status = h('p', { id: id('json-status'), class: 'status', role: 'status', 'aria-live': 'polite' });
  const validate = () => {
    const checked = checkConfigText(entry.name, area.value);
    if (checked.ok)
      say(status, 'ok', `Valid JSON object, ${formatBytes(new TextEncoder().encode(area.value).length)}.`);
    else say(status, 'error', checked.message);
  };
  area.addEventListener('input', () => {
    hooks.board.edit(entry.name, { kind: 'config', text: area.value });
    validate();
    hooks.changed();
  });
  validate();
  return [
    h(
      'p',
      { class: 'hint' },
      'A JSON object (at most 16 KiB), checked here as the relay and the players will check it.',
    ),
    area,
    status,
    buttonRow(
      revertButton(entry, hooks, (reverted) => {
        area.value = reverted?.kind === 'config' ? reverted.text : '';
        validate();
        hooks.changed();
      }),
    ),
  ];
}

function themeBody(entry: SlotEntry, hooks: CardHooks): Child[] {
  const id = (part: string) => partId(entry, part);
  const background = h('input', { id: id('background'), type: 'color' });
  const ball = h('input', { id: id('ball'), type: 'color' });
  const radius = h('input', {
    id: id('radius'),
    type: 'number',
    min: 2,
    max: 150,
    step: 1,
    style: 'width:90px',
  });
  const show = (theme: ThemeConfig | null) => {
    background.value = theme?.background?.toLowerCase() ?? DEFAULT_THEME.background;
    ball.value = theme?.ball?.toLowerCase() ?? DEFAULT_THEME.ball;
    radius.value = String(theme?.ballRadius ?? DEFAULT_THEME.ballRadius);
  };
  show(entry.draft?.kind === 'theme' ? entry.draft.value : null);
  const read = (): ThemeConfig => {
    const r = Number(radius.value);
    return {
      background: background.value.toLowerCase(),
      ball: ball.value.toLowerCase(),
      ...(Number.isFinite(r) ? { ballRadius: r } : {}),
    };
  };
  for (const input of [background, ball, radius]) {
    input.addEventListener('input', () => {
      hooks.board.edit(entry.name, { kind: 'theme', value: read() });
      hooks.changed();
    });
  }
  const field = (input: HTMLElement, label: string) =>
    h('div', {}, h('label', { for: input.id }, label), input);
  return [
    h(
      'div',
      { class: 'swatches' },
      field(background, 'Background colour'),
      field(ball, 'Ball colour'),
      field(radius, 'Ball radius'),
    ),
    h(
      'p',
      { class: 'hint' },
      'The colour shows where no texture covers the background; the ball colour always applies.',
    ),
    buttonRow(
      revertButton(entry, hooks, (reverted) => {
        show(reverted?.kind === 'theme' ? reverted.value : null);
        hooks.changed();
      }),
    ),
  ];
}
