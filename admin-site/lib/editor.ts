/**
 * The script editor: CodeMirror 6 with JavaScript highlighting. Loaded with a dynamic import by
 * the publish page only, so no other page pays for it.
 */
import { basicSetup, EditorView } from 'codemirror';
import { keymap } from '@codemirror/view';
import { javascript } from '@codemirror/lang-javascript';

/** The few things the publish page does with the editor. */
export interface ScriptEditor {
  getText(): string;
  setText(text: string): void;
  focus(): void;
}

/**
 * Mounts an editor in `parent`; `onChange` is called after every edit, `onRun` on Ctrl/Cmd+Enter;
 * `label` names it for assistive technology.
 */
export function createEditor(
  parent: HTMLElement,
  text: string,
  onChange: () => void,
  onRun: () => void,
  label = 'Logic script (JavaScript)',
): ScriptEditor {
  const view = new EditorView({
    doc: text,
    parent,
    extensions: [
      keymap.of([
        {
          key: 'Mod-Enter',
          run: () => {
            onRun();
            return true;
          },
        },
      ]),
      basicSetup,
      javascript(),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': label }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) onChange();
      }),
    ],
  });
  return {
    getText: () => view.state.doc.toString(),
    setText: (next) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } }),
    focus: () => view.focus(),
  };
}
