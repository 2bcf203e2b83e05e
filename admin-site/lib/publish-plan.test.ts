import { describe, expect, it } from 'vitest';
import { utf8 } from '../../protocol/bytes.ts';
import { draftChanges, sameTheme, type PublishDraft } from './publish-plan.ts';

const base: PublishDraft = {
  script: { text: 'export function update(b){return b}', current: 'export function update(b){return b}' },
  texture: null,
  theme: {
    value: { background: '#112233', ball: '#ff0000', ballRadius: 20 },
    current: { background: '#112233', ball: '#FF0000', ballRadius: 20 },
  },
  version: '1.2.0',
  rolloutPercent: 100,
};

describe('draftChanges', () => {
  it('changes nothing when nothing changed (colour case does not count)', () => {
    expect(draftChanges(base)).toEqual([]);
  });

  it('sets the logic slot to a changed script', () => {
    const changes = draftChanges({ ...base, script: { text: 'x', current: 'y' } });
    expect(changes).toEqual([
      { op: 'set', slot: 'logic', content: { kind: 'script', lang: 'js', bytes: utf8('x') } },
    ]);
  });

  it('sets a picked texture and edits the theme, colours in lower case', () => {
    const changes = draftChanges({
      ...base,
      texture: { bytes: new Uint8Array([1, 2, 3]), mime: 'image/png' },
      theme: { value: { background: '#ABCDEF' }, current: null },
    });
    expect(changes).toEqual([
      {
        op: 'set',
        slot: 'background',
        content: { kind: 'texture', mime: 'image/png', bytes: new Uint8Array([1, 2, 3]) },
      },
      { op: 'theme', patch: { background: '#abcdef' } },
    ]);
  });

  it('never publishes an empty script', () => {
    expect(draftChanges({ ...base, script: { text: '  ', current: null } })).toEqual([]);
  });
});

describe('sameTheme', () => {
  it('compares colours without case and radius exactly', () => {
    expect(sameTheme({ ball: '#AABBCC' }, { ball: '#aabbcc' })).toBe(true);
    expect(sameTheme({ ballRadius: 10 }, { ballRadius: 11 })).toBe(false);
    expect(sameTheme(null, null)).toBe(true);
    expect(sameTheme({}, null)).toBe(false);
  });
});
