/**
 * The line under the navigation that says which room, key and relay the page works with.
 */
import type { AdminContext } from './context.ts';
import { h, replaceChildren } from './dom.ts';

/** Draws the context bar (`#context-bar` of the layout) for a context. */
export function showContextBar(ctx: AdminContext): void {
  const bar = document.getElementById('context-bar');
  if (!bar) return;
  replaceChildren(
    bar,
    h('span', {}, 'Room ', h('strong', { 'data-testid': 'ctx-room' }, ctx.room ?? 'none chosen')),
    ' · ',
    ctx.key
      ? h('span', {}, 'key ', h('code', { 'data-testid': 'ctx-key' }, ctx.key.keyId))
      : h('span', { class: 'warn-text' }, 'no key in this browser'),
    ' · ',
    h('span', {}, 'relay ', h('code', {}, ctx.relay)),
  );
}
