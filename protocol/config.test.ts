import { describe, expect, it } from 'vitest';
import { utf8 } from './bytes.ts';
import { parseConfigBlob } from './config.ts';
import { ErrorCode } from './errors.ts';

describe('config blobs', () => {
  it('accepts a theme with sRGB hex colours and a sane radius', () => {
    const theme = { background: '#1e2832', ball: '#FF6464', ballRadius: 15 };
    expect(parseConfigBlob('theme', utf8(JSON.stringify(theme)))).toEqual({ ok: true, value: theme });
  });

  it('refuses colours outside #rrggbb, unknown theme keys, junk and non-objects', () => {
    for (const text of [
      '{"background":"red"}',
      '{"background":"#12345"}',
      '{"background":"#1234567"}',
      '{"ballRadius":-1}',
      '{"ballRadius":1e9}',
      '{"other":1}',
      '[1,2]',
      'nope',
    ]) {
      expect(parseConfigBlob('theme', utf8(text))).toMatchObject({ ok: false, code: ErrorCode.BAD_CONFIG });
    }
    expect(parseConfigBlob('theme', new Uint8Array([0xff]))).toMatchObject({
      ok: false,
      code: ErrorCode.BAD_CONFIG,
    });
  });

  it('accepts any JSON object in other config slots, within the size limit', () => {
    expect(parseConfigBlob('tuning', utf8('{"speed":3}')).ok).toBe(true);
    expect(parseConfigBlob('tuning', utf8(JSON.stringify({ x: 'y'.repeat(20_000) })))).toMatchObject({
      ok: false,
    });
  });
});
