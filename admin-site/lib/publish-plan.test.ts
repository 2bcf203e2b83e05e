import { describe, expect, it } from 'vitest';
import { suggestNextVersion } from '../../protocol/build.ts';
import { fromUtf8 } from '../../protocol/bytes.ts';
import { planSlots, sameTheme, type PublishDraft } from './publish-plan.ts';

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

describe('planSlots', () => {
  it('changes nothing when nothing changed (colour case does not count)', () => {
    expect(planSlots(base)).toEqual({});
  });

  it('puts a changed script in the logic slot with the release version', () => {
    const slots = planSlots({ ...base, script: { text: 'x', current: 'y' } });
    expect(Object.keys(slots)).toEqual(['logic']);
    expect(slots['logic']).toMatchObject({ kind: 'script', version: '1.2.0' });
  });

  it('puts a texture and a changed theme in their slots, with the rollout', () => {
    const slots = planSlots({
      ...base,
      texture: { bytes: new Uint8Array([1, 2, 3]), mime: 'image/png' },
      theme: { value: { background: '#000000' }, current: null },
      rolloutPercent: 25,
    });
    expect(Object.keys(slots).sort()).toEqual(['background', 'theme']);
    expect(slots['background']).toMatchObject({ kind: 'texture', mime: 'image/png', rolloutPercent: 25 });
    const theme = slots['theme'];
    expect(theme?.kind).toBe('config');
    expect(JSON.parse(fromUtf8(theme?.bytes ?? new Uint8Array()))).toEqual({ background: '#000000' });
  });

  it('never publishes an empty script', () => {
    expect(planSlots({ ...base, script: { text: '  ', current: null } })).toEqual({});
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

describe('version suggestion', () => {
  it('bumps the last number', () => {
    expect(suggestNextVersion(undefined)).toBe('1.0.0');
    expect(suggestNextVersion('1.2.9')).toBe('1.2.10');
    expect(suggestNextVersion('2.0.0-beta.3')).toBe('2.0.0-beta.4');
  });
});
