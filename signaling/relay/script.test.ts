/**
 * The relay's script check (before it stores a release): the content check refuses what
 * `checkScript` refuses, for the same reason. (Players run scripts in their sandbox: `player/`.)
 */
import { describe, expect, it } from 'vitest';
import { MAX_SCRIPT_BYTES, generateSigningKey, utf8 } from '../../protocol/index.ts';
import { buildRelease } from '../../publisher/build.ts';
import { checkContent } from './content.ts';
import { DecodeQueue } from './decode-queue.ts';
import { checkScript } from './script.ts';

const cases: [string, Uint8Array][] = [
  ['not UTF-8', new Uint8Array([0x65, 0xff, 0x66])],
  ['with a NUL', utf8('export const a = 1;\u0000')],
  ['over the size limit', new Uint8Array(MAX_SCRIPT_BYTES + 1).fill(0x20)],
];

describe('the script check', () => {
  it('takes plain UTF-8 source', () => {
    expect(checkScript(utf8('export function update(b){return b} // ✓')).ok).toBe(true);
  });

  it.each(cases)('the relay refuses a script %s at publish', async (_, bytes) => {
    const relay = checkScript(bytes);
    expect(relay.ok).toBe(false);
    const key = await generateSigningKey();
    const built = await buildRelease({
      room: 'r',
      key,
      previous: null,
      slots: { logic: { kind: 'script', lang: 'js', bytes, version: '1' } },
    });
    const slot = built.signed.release.slots['logic']!;
    const content = await checkContent('logic', slot, bytes, {
      maxPixels: 1,
      decode: new DecodeQueue(1000),
    });
    expect(content).toEqual(relay);
  });
});
