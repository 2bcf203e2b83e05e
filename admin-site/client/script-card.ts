/**
 * The card body of a script slot: a CodeMirror editor (loaded on demand), a file picker, revert, and
 * the slot's check — a dry run for a slot whose contract the page knows (the demo's `logic`, with the
 * ball's path), a load check in the player's sandbox for any other.
 */
import { h, type Child } from '../lib/dom.ts';
import type { ScriptEditor } from '../lib/editor.ts';
import { contractOf, type SlotEntry } from '../lib/slot-board.ts';
import { button, partId, revertButton, type CardHooks } from './card-parts.ts';

/** The script editors on the page, by slot (drawn again with the cards). */
const editors = new Map<string, ScriptEditor>();

/** Forgets the editors of cards that were drawn over. */
export function clearEditors(): void {
  editors.clear();
}

/** The body of a script slot's card. */
export function scriptBody(entry: SlotEntry, hooks: CardHooks): Child[] {
  const id = (part: string) => partId(entry, part);
  const text = entry.draft?.kind === 'script' ? entry.draft.text : '';
  if (entry.readOnly) {
    return [
      h(
        'p',
        { class: 'hint' },
        'Python, for clients of the seed protocol: carried over unchanged in every release; publish it with the CLI.',
      ),
      h('pre', { class: 'log', id: id('source') }, text),
    ];
  }
  const ball = contractOf(entry.name) === 'ball';
  const setText = (next: string) => {
    const editor = editors.get(entry.name);
    if (editor) editor.setText(next);
    else {
      hooks.board.edit(entry.name, { kind: 'script', text: next });
      hooks.changed();
    }
  };
  const file = h('input', {
    id: id('file'),
    type: 'file',
    accept: '.js,.mjs,text/javascript',
    class: 'visually-hidden',
  });
  file.addEventListener('change', () => {
    const picked = file.files?.[0];
    if (picked) void picked.text().then((t) => ((file.value = ''), setText(t)));
  });
  const editorHost = h(
    'div',
    { id: id('editor'), class: 'editor' },
    h('p', { class: 'hint', style: 'padding:8px' }, 'Loading the editor…'),
  );
  void import('../lib/editor.ts').then(({ createEditor }) => {
    if (!editorHost.isConnected) return;
    editorHost.replaceChildren();
    const editor = createEditor(
      editorHost,
      text,
      () => {
        hooks.board.edit(entry.name, { kind: 'script', text: editor.getText() });
        hooks.changed();
      },
      () => hooks.check(entry.name),
      `Script of slot ${entry.name} (JavaScript)`,
    );
    editors.set(entry.name, editor);
  });
  return [
    h(
      'div',
      { class: 'buttons' },
      h('label', { class: 'button', for: id('file') }, 'Open .js file…'),
      file,
      revertButton(entry, hooks, (reverted) => setText(reverted?.kind === 'script' ? reverted.text : '')),
    ),
    ball
      ? h(
          'p',
          { class: 'hint' },
          'An ES module exporting ',
          h('code', {}, 'update(ball, world, dt)'),
          ' that returns ',
          h('code', {}, '{ x, y, vx, vy, radius }'),
          '; ',
          h('code', {}, 'world = { width: 800, height: 600, time }'),
          '. It runs in a sandboxed worker on every player: no network, no storage, a small time budget per frame.',
        )
      : h(
          'p',
          { class: 'hint' },
          'An ES module, run in a sandboxed worker on every player. No contract for this slot: its check ',
          'only loads the module in the player’s sandbox (top-level code and imports run; nothing is called).',
        ),
    editorHost,
    h(
      'div',
      { class: 'buttons' },
      button(id('check'), ball ? 'Dry run (300 frames)' : 'Load check', () => hooks.check(entry.name), {
        'aria-keyshortcuts': 'Control+Enter',
      }),
      h('span', { class: 'hint' }, 'or Ctrl+Enter in the editor'),
    ),
    h(
      'div',
      { class: 'dry-run-out' },
      h('p', { id: id('check-status'), class: 'status', role: 'status', 'aria-live': 'polite' }),
      ball
        ? h('canvas', {
            id: id('path'),
            class: 'path',
            width: 400,
            height: 300,
            role: 'img',
            'aria-label': 'Path of the ball during the dry run',
            hidden: true,
          })
        : null,
    ),
  ];
}
