/**
 * From what a publisher asks for to the slot inputs of a release. The rules, the same for the admin
 * site and the CLI:
 *
 * - **Changes apply in order**: `set` puts new content in a slot (adding the slot if the live release
 *   has none), `theme` edits the theme, `remove` drops a slot. Every other slot of the live release
 *   carries over untouched.
 * - **A theme edit is a patch**: the fields it gives replace those of the theme it finds (the live
 *   theme, or one set earlier in the same publish); the fields it leaves out are kept. The result is
 *   checked against the theme schema and written as canonical JSON (RFC 8785), so the same theme is
 *   always the same blob.
 * - **Content that is already live is not a change**: a slot whose new bytes, kind, language or type
 *   and rollout equal the live slot's keeps its version. A publish that changes nothing is refused
 *   (`NOTHING_TO_PUBLISH`) rather than sent.
 * - Every changed slot gets the release's version label and its rollout percent (100: everyone).
 */
import type { SlotInput } from '../protocol/assemble.ts';
import { sha256Hex } from '../protocol/crypto.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { canonicalBytes } from '../protocol/jcs.ts';
import { parseConfigBlob, parseTheme, WellKnownSlot, type ThemeConfig } from '../protocol/config.ts';
import type { Release, ScriptLang, Slot, TextureMime } from '../protocol/release.ts';
import { LocalCode, RelayError } from './errors.ts';

/** New content for a slot, before it gets a version label. */
export type SlotContent =
  | { readonly kind: 'script'; readonly bytes: Uint8Array; readonly lang?: ScriptLang }
  | { readonly kind: 'texture'; readonly bytes: Uint8Array; readonly mime: TextureMime }
  | { readonly kind: 'config'; readonly bytes: Uint8Array };

/** One thing a publish changes. */
export type Change =
  | { readonly op: 'set'; readonly slot: string; readonly content: SlotContent }
  | { readonly op: 'theme'; readonly patch: ThemeConfig }
  | { readonly op: 'remove'; readonly slot: string };

/** What {@link planRelease} turns the changes into. */
export interface Plan {
  /** Slots with new content, for `buildRelease`. */
  readonly slots: Record<string, SlotInput>;
  /** Live slots to drop. */
  readonly remove: string[];
  /** Every slot the release changes (new content or removed), in order. */
  readonly changed: string[];
}

/** Options that apply to every changed slot. */
export interface PlanOptions {
  readonly version: string;
  /** 0–100; 100 (the default) means everyone. */
  readonly rolloutPercent?: number;
  /** The bytes of a live blob, for a theme edit (checked against its hash by the caller). */
  readonly liveBlob: (sha256: string) => Promise<Uint8Array>;
}

/** A script's language as written in a slot: JavaScript unless said otherwise. */
const langOf = (lang: ScriptLang | undefined): ScriptLang => lang ?? 'js';

/**
 * The theme a theme edit starts from: the one set earlier in this publish (`draft`; null: removed),
 * else the live slot's, else nothing.
 */
async function themeOf(
  slot: Slot | undefined,
  draft: SlotContent | null | undefined,
  liveBlob: PlanOptions['liveBlob'],
): Promise<ThemeConfig> {
  let bytes: Uint8Array | undefined;
  if (draft !== undefined) bytes = draft?.kind === 'config' ? draft.bytes : undefined;
  else if (slot?.kind === 'config') bytes = await liveBlob(slot.sha256);
  if (bytes === undefined) return {};
  const parsed = parseConfigBlob(WellKnownSlot.theme, bytes);
  if (!parsed.ok) throw new RelayError(parsed.code, `the theme to edit is not valid: ${parsed.message}`);
  const theme = parseTheme(parsed.value);
  if (!theme.ok) throw new RelayError(theme.code, theme.message);
  return theme.value;
}

/** True when new content equals what a live slot already holds, rollout included. */
async function sameAsLive(slot: Slot | undefined, input: SlotInput): Promise<boolean> {
  if (!slot || slot.kind !== input.kind) return false;
  if (slot.kind === 'script' && input.kind === 'script' && langOf(slot.lang) !== langOf(input.lang)) {
    return false;
  }
  if (slot.kind === 'texture' && input.kind === 'texture' && slot.mime !== input.mime) return false;
  const percent = (p: number | undefined) => (p === undefined || p >= 100 ? 100 : p);
  if (percent(slot.rollout?.percent) !== percent(input.rolloutPercent)) return false;
  return slot.sha256 === (await sha256Hex(input.bytes));
}

/** Applies `changes` to the live release; see the module comment for the rules. */
export async function planRelease(
  live: Release | null,
  changes: readonly Change[],
  options: PlanOptions,
): Promise<Plan> {
  const rollout =
    options.rolloutPercent === undefined || options.rolloutPercent >= 100
      ? {}
      : { rolloutPercent: options.rolloutPercent };
  const drafts = new Map<string, SlotContent | null>(); // null: removed
  for (const change of changes) {
    if (change.op === 'set') {
      drafts.set(change.slot, change.content);
    } else if (change.op === 'remove') {
      if (!live?.slots[change.slot] && !drafts.get(change.slot)) {
        throw new RelayError(ErrorCode.BAD_SLOT, `there is no slot "${change.slot}" to remove`);
      }
      drafts.set(change.slot, null);
    } else {
      const name = WellKnownSlot.theme;
      const base = await themeOf(live?.slots[name], drafts.get(name), options.liveBlob);
      const merged = parseTheme({ ...base, ...change.patch });
      if (!merged.ok) throw new RelayError(merged.code, merged.message);
      drafts.set(name, { kind: 'config', bytes: canonicalBytes(merged.value) });
    }
  }
  const plan: Plan = { slots: {}, remove: [], changed: [] };
  for (const [name, content] of drafts) {
    if (content === null) {
      if (live?.slots[name]) {
        plan.remove.push(name);
        plan.changed.push(name);
      }
      continue;
    }
    const input: SlotInput =
      content.kind === 'script'
        ? { ...content, lang: langOf(content.lang), version: options.version, ...rollout }
        : { ...content, version: options.version, ...rollout };
    if (await sameAsLive(live?.slots[name], input)) continue;
    plan.slots[name] = input;
    plan.changed.push(name);
  }
  if (plan.changed.length === 0) {
    throw new RelayError(LocalCode.NOTHING_TO_PUBLISH, 'nothing to publish: every change is already live');
  }
  return plan;
}
