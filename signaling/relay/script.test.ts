/**
 * One script check for the relay (before it stores a release) and the headless client (before it
 * acks a script as applied): both refuse the same bytes for the same reason.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SCRIPT_BYTES, generateSigningKey, utf8 } from '../../protocol/index.ts';
import { buildRelease } from '../../publisher/build.ts';
import { checkingApplier } from '../client/client.ts';
import { checkContent } from './content.ts';
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

  it.each(cases)('relay and headless client refuse a script %s alike', async (_, bytes) => {
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
    const content = await checkContent('logic', slot, bytes);
    expect(content).toEqual(relay);
    const outcome = await checkingApplier({
      signed: built.signed,
      blobs: new Map([[slot.sha256, bytes]]),
    });
    expect(outcome['logic']).toEqual({ status: 'failed', error: relay.ok ? '' : relay.message });
  });
});
