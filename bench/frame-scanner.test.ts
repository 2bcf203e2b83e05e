/**
 * The benchmarks' frame scanner: frames split anywhere across reads come out whole (small ones) or as
 * their prefix (big ones), and it keeps no view into a buffer it was pushed — the readers reuse
 * nothing, but a view held until a frame's end kept a 64 KiB read alive per socket (GC load that
 * slowed the fan-out readers of relay runs only).
 */
import { describe, expect, it } from 'vitest';
import { FrameScanner, SMALL } from './frame-scanner.ts';

function frame(body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

const json = Buffer.from(JSON.stringify({ type: 'release', n: 1 }));
const big = Buffer.alloc(SMALL + 100, 7);
big[0] = 1;
const smallBinary = Buffer.alloc(100, 9);
smallBinary[0] = 1;
const stream = Buffer.concat([frame(json), frame(big), frame(smallBinary), frame(json)]);

function scan(pieces: readonly Buffer[], jsonOnly: boolean, scribble: boolean) {
  const seen: { prefix: string; body: string | null }[] = [];
  const scanner = new FrameScanner(
    (prefix, body) => seen.push({ prefix: prefix.toString('hex'), body: body?.toString('hex') ?? null }),
    jsonOnly,
  );
  for (const p of pieces) {
    // A pushed buffer may be reused by its owner as soon as push returns.
    const copy = Buffer.from(p);
    scanner.push(copy);
    if (scribble) copy.fill(0xee);
  }
  return seen;
}

const expected = (jsonOnly: boolean) => [
  { prefix: json.subarray(0, 32).toString('hex'), body: json.toString('hex') },
  { prefix: big.subarray(0, 32).toString('hex'), body: null },
  {
    prefix: smallBinary.subarray(0, 32).toString('hex'),
    body: jsonOnly ? null : smallBinary.toString('hex'),
  },
  { prefix: json.subarray(0, 32).toString('hex'), body: json.toString('hex') },
];

describe('FrameScanner', () => {
  for (const size of [1, 3, 5, 17, 1000, 65536, stream.length]) {
    it(`splits frames pushed in pieces of ${size} bytes, keeping no view into them`, () => {
      const pieces: Buffer[] = [];
      for (let at = 0; at < stream.length; at += size) pieces.push(stream.subarray(at, at + size));
      expect(scan(pieces, false, true)).toEqual(expected(false));
      expect(scan(pieces, true, true)).toEqual(expected(true));
    });
  }
});
