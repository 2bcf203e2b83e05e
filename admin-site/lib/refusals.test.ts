import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.ts';
import { describeCode, describeError } from './refusals.ts';
import { LocalCode, RelayError } from '../../publisher/errors.ts';

describe('refusal wording', () => {
  it('has plain words for every error code, none of them the code itself', () => {
    const codes = [...Object.values(ErrorCode), ...Object.values(LocalCode)];
    const words = codes.map((c) => describeCode(c));
    for (const [i, w] of words.entries()) {
      expect(w.length).toBeGreaterThan(15);
      expect(w).not.toContain(codes[i]);
    }
    expect(new Set(words).size).toBe(words.length);
  });

  it('tells the admin what to do about the usual refusals', () => {
    expect(describeCode(ErrorCode.STALE_SEQ)).toMatch(/newer release.*Reload/);
    expect(describeCode(ErrorCode.UNKNOWN_KEY)).toMatch(/import that key/);
    expect(describeCode(ErrorCode.BAD_IMAGE)).toMatch(/PNG, JPEG or WebP/);
  });

  it('describes a relay error with its code, words and the relay message', () => {
    const d = describeError(
      new RelayError(ErrorCode.BLOB_MISSING, 'missing blobs', { missing: ['ab'.repeat(32)] }),
    );
    expect(d.code).toBe('BLOB_MISSING');
    expect(d.words).toBe(describeCode(ErrorCode.BLOB_MISSING));
    expect(d.detail).toContain('missing blobs');
    expect(d.detail).toContain('abababababab');
    expect(describeError(new Error('boom')).detail).toBe('boom');
  });

  it('says when the page would not build on a release the relay served', () => {
    const d = describeError(
      new RelayError(ErrorCode.UNKNOWN_KEY, 'signed by key abc', { untrusted: 'the live release' }),
    );
    expect(d.code).toBe('UNKNOWN_KEY');
    expect(d.words).toMatch(/^The live release on the relay is not signed by a key this browser trusts/);
  });
});
