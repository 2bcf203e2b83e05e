import { describe, expect, it } from 'vitest';
import { generateSigningKey } from '../protocol/crypto.ts';
import type { SignedRelease } from '../protocol/release.ts';
import { buildRelease } from './build.ts';
import { nextUnusedVersion, suggestNextVersion } from './version.ts';

describe('version labels', () => {
  it('bumps the last number', () => {
    expect(suggestNextVersion(undefined)).toBe('1.0.0');
    expect(suggestNextVersion('1.2.9')).toBe('1.2.10');
    expect(suggestNextVersion('2.0.0-beta.3')).toBe('2.0.0-beta.4');
    expect(suggestNextVersion('stable')).toBe('stable.1');
  });

  it('proposes a label no release of the room used, after the live one', async () => {
    const key = await generateSigningKey();
    const history: SignedRelease[] = [];
    for (const version of ['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.1']) {
      const previous = history.at(-1)?.release ?? null;
      history.push((await buildRelease({ room: 'r', key, previous, version, slots: {} })).signed);
    }
    // Live: seq 5, a rollback labelled 1.0.1; 1.0.2 and 1.0.3 are taken.
    expect(nextUnusedVersion(history)).toBe('1.0.4');
    // Whatever order the history comes in.
    expect(nextUnusedVersion([...history].reverse())).toBe('1.0.4');
    expect(nextUnusedVersion(history.slice(0, 2))).toBe('1.0.2');
    expect(nextUnusedVersion([])).toBe('1.0.0');
  });
});
