/**
 * The relay's adoption counts as the pages draw them (Dashboard, History): per slot applied / failed
 * (with what the failed players run instead) / skipped / pending, and how many players applied every
 * slot. Text only: a version label is data from outside.
 */
import type { ReleaseAdoption, SlotAdoption } from '../../protocol/adoption.ts';
import { h, type Child } from './dom.ts';

/** "3 of 4 players (75%)" applied every slot of the release; "no players" when none answered. */
export function completeText(a: ReleaseAdoption): string {
  if (a.players === 0) return 'no players yet';
  return `${Math.round((100 * a.complete) / a.players)}% (${a.complete}/${a.players})`;
}

/** What failed players of a slot run instead, in words: "1.0.0 × 3, built-in × 1". */
export function insteadText(s: SlotAdoption): string {
  return s.running.map((r) => `${r.version ?? 'built-in'} × ${r.count}`).join(', ');
}

/** One slot's counts as a line of badges. */
export function slotLine(name: string, s: SlotAdoption): HTMLElement {
  const instead = insteadText(s);
  return h(
    'div',
    { class: 'adoption-slot', 'data-slot': name },
    h('b', {}, name),
    ' ',
    h('span', { class: 'badge ok', 'data-count': 'applied' }, `${s.applied} applied`),
    ' ',
    h(
      'span',
      { class: s.failed > 0 ? 'badge error' : 'badge', 'data-count': 'failed' },
      `${s.failed} failed`,
    ),
    instead ? h('span', { class: 'hint', 'data-testid': 'instead' }, ` running ${instead} instead`) : null,
    ' ',
    h('span', { class: 'badge', 'data-count': 'skipped' }, `${s.skipped} skipped`),
    ' ',
    h(
      'span',
      { class: s.pending > 0 ? 'badge warn' : 'badge', 'data-count': 'pending' },
      `${s.pending} pending`,
    ),
  );
}

/** A release's counts: every slot, then how many players applied all of them. */
export function adoptionBlock(a: ReleaseAdoption | undefined): Child {
  if (!a) return h('span', { class: 'empty' }, '—');
  return h(
    'div',
    { class: 'adoption', 'data-seq': a.seq },
    ...Object.entries(a.slots).map(([name, s]) => slotLine(name, s)),
    h(
      'div',
      { class: 'hint' },
      `${completeText(a)} applied every slot`,
      a.failing > 0 ? ` · ${a.failing} failing` : '',
    ),
  );
}

/** The newest release's counts as a table: one row per slot. */
export function adoptionTable(a: ReleaseAdoption): HTMLElement {
  const num = (n: number, cls = '') => h('td', { class: `num ${cls}`.trim() }, String(n));
  return h(
    'table',
    { 'data-seq': a.seq },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Slot', 'Applied', 'Failed', 'Running instead', 'Skipped', 'Pending'].map((t, i) =>
          h('th', { scope: 'col', class: i === 0 || i === 3 ? '' : 'num' }, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...Object.entries(a.slots).map(([name, s]) =>
        h(
          'tr',
          { 'data-slot': name },
          h('td', {}, h('b', {}, name)),
          num(s.applied),
          num(s.failed, s.failed > 0 ? 'warn-text' : ''),
          h('td', {}, insteadText(s) || '—'),
          num(s.skipped),
          num(s.pending),
        ),
      ),
    ),
  );
}
