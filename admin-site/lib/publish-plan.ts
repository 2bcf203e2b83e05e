/**
 * From what the admin changed on the publish page to the slot inputs of `buildRelease`: which slots
 * change, with which version and rollout. Pure, so the rules are unit-tested.
 */
import { utf8 } from '../../protocol/bytes.ts';
import { configBytes, type SlotInput } from '../../protocol/build.ts';
import { WellKnownSlot, type ThemeConfig } from '../../protocol/config.ts';
import type { TextureMime } from '../../protocol/release.ts';

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

/** The slots a draft changes, ready for `buildRelease`. */
export function planSlots(draft: PublishDraft): Record<string, SlotInput> {
  const rollout = draft.rolloutPercent >= 100 ? {} : { rolloutPercent: draft.rolloutPercent };
  const slots: Record<string, SlotInput> = {};
  if (draft.script.text !== draft.script.current && draft.script.text.trim() !== '') {
    slots[WellKnownSlot.logic] = {
      kind: 'script',
      bytes: utf8(draft.script.text),
      version: draft.version,
      ...rollout,
    };
  }
  if (draft.texture) {
    slots[WellKnownSlot.background] = {
      kind: 'texture',
      bytes: draft.texture.bytes,
      mime: draft.texture.mime,
      version: draft.version,
      ...rollout,
    };
  }
  if (!sameTheme(draft.theme.value, draft.theme.current)) {
    slots[WellKnownSlot.theme] = {
      kind: 'config',
      bytes: configBytes(draft.theme.value),
      version: draft.version,
      ...rollout,
    };
  }
  return slots;
}
