import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  fromBase64,
  fromBase64Url,
  fromHex,
  fromUtf8,
  overArrayBuffer,
  toBase64,
  toBase64Url,
  toHex,
} from './bytes.ts';

describe('byte encodings', () => {
  it('property: base64, base64url and hex agree with Node and round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const buf = Buffer.from(bytes);
        expect(toBase64(bytes)).toBe(buf.toString('base64'));
        expect(toBase64Url(bytes)).toBe(buf.toString('base64url'));
        expect(toHex(bytes)).toBe(buf.toString('hex'));
        expect(fromBase64(toBase64(bytes))).toEqual(bytes);
        expect(fromBase64Url(toBase64Url(bytes))).toEqual(bytes);
        expect(fromHex(toHex(bytes))).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses characters outside the alphabet and non-canonical endings', () => {
    expect(() => fromBase64('ab$d')).toThrow(TypeError);
    expect(() => fromBase64Url('ab+d')).toThrow(TypeError);
    expect(() => fromBase64Url('YQ==')).toThrow(TypeError);
    expect(() => fromBase64('YR==')).toThrow(TypeError); // leftover bits set
    expect(() => fromBase64('Y')).toThrow(TypeError);
    expect(() => fromHex('abc')).toThrow(TypeError);
    expect(() => fromHex('zz')).toThrow(TypeError);
  });

  it('decodes UTF-8 strictly', () => {
    expect(fromUtf8(new Uint8Array([0xe2, 0x82, 0xac]))).toBe('€');
    expect(() => fromUtf8(new Uint8Array([0xc3]))).toThrow();
  });
});

describe('overArrayBuffer', () => {
  it('gives a view over a plain ArrayBuffer as it is, and copies one over a SharedArrayBuffer', () => {
    const plain = new Uint8Array(8).subarray(2, 5);
    expect(overArrayBuffer(plain)).toBe(plain);
    const shared = new Uint8Array(new SharedArrayBuffer(4));
    shared.set([1, 2, 3, 4]);
    const copy = overArrayBuffer(shared);
    expect(copy.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...copy]).toEqual([1, 2, 3, 4]);
  });
});
