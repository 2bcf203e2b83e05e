import { describe, expect, it } from 'vitest';
import { ago, h, replaceChildren, say } from './dom.ts';

const EVIL = '<img src=x onerror=alert(1)>';

describe('dom builder', () => {
  it('puts strings in as text, never as markup', () => {
    const el = h('td', { title: EVIL }, EVIL, h('b', {}, EVIL), 42, null, false);
    expect(el.querySelector('img')).toBeNull();
    expect(el.textContent).toBe(`${EVIL}${EVIL}42`);
    expect(el.getAttribute('title')).toBe(EVIL);
    expect(el.childNodes[0]?.nodeType).toBe(Node.TEXT_NODE);
  });

  it('replaces children and marks status regions', () => {
    const region = h('p', {}, 'old');
    say(region, 'error', 'new ', EVIL);
    expect(region.dataset['kind']).toBe('error');
    expect(region.textContent).toBe(`new ${EVIL}`);
    replaceChildren(region);
    expect(region.childNodes.length).toBe(0);
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(ago('2026-11-23T11:59:57Z', now)).toBe('3 s ago');
    expect(ago('2026-11-23T11:55:00Z', now)).toBe('5 min ago');
    expect(ago('2026-11-23T09:00:00Z', now)).toBe('3 h ago');
  });
});
