import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concatBytes, toHex, utf8 } from './bytes.ts';
import { ErrorCode, isErrorCode } from './errors.ts';
import {
  BINARY_CHUNK_HEADER_BYTES,
  BINARY_CHUNK_TAG,
  decodeBody,
  encodeChunkBody,
  encodeChunkFrame,
  encodeFrame,
  frameBytes,
  FrameDecoder,
  type DecodedFrame,
} from './frame.ts';
import { MAX_CHUNK_SIZE } from './limits.ts';
import { parseMessage } from './messages.ts';

/** Splits bytes at the given cut points (any order, duplicates allowed). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    parts.push(bytes.subarray(at, p));
    at = p;
  }
  parts.push(bytes.subarray(at));
  return parts;
}

function decodeAll(decoder: FrameDecoder, parts: Uint8Array[]): DecodedFrame[] {
  return parts.flatMap((p) => decoder.push(p));
}

function header(length: number): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, length, false);
  return h;
}

describe('frame codec', () => {
  it('frames as [4-byte big-endian length][UTF-8 JSON]', () => {
    const frame = encodeFrame({ type: 'heartbeat', note: 'é' });
    const body = utf8('{"type":"heartbeat","note":"é"}');
    expect([...frame.subarray(0, 4)]).toEqual([0, 0, 0, body.length]);
    expect(frame.subarray(4)).toEqual(body);
  });

  it('decodes one byte at a time and many frames in one chunk', () => {
    const messages = [{ a: 1 }, { b: 'two' }, [3], 'four', null];
    const stream = concatBytes(messages.map(encodeFrame));
    const byByte = new FrameDecoder();
    const out1 = [...stream].flatMap((b) => byByte.push(new Uint8Array([b])));
    const out2 = new FrameDecoder().push(stream);
    for (const out of [out1, out2]) {
      expect(out.map((f) => (f.ok ? f.value : f.code))).toEqual(messages);
    }
  });

  it('property: any valid frames, split at any points, decode to the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (messages, cuts) => {
          // JSON round-trip normalizes -0 to 0, as the wire does.
          const expected = messages.map((m) => JSON.parse(JSON.stringify(m)) as unknown);
          const stream = concatBytes(messages.map(encodeFrame));
          const decoder = new FrameDecoder();
          const out = decodeAll(decoder, split(stream, cuts));
          expect(out.every((f) => f.ok)).toBe(true);
          expect(out.map((f) => (f.ok ? f.value : undefined))).toEqual(expected);
          expect(decoder.bufferedBytes).toBe(0);
          expect(decoder.end()).toEqual([]);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('property: random bytes never crash the decoder; every item is a value or a typed error', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
        fc.integer({ min: 0, max: 256 }),
        (chunks, max) => {
          const decoder = new FrameDecoder({ maxFrameBytes: max });
          const out = [...chunks.flatMap((c) => decoder.push(c)), ...decoder.end()];
          for (const item of out) {
            if (!item.ok) expect(isErrorCode(item.code)).toBe(true);
          }
          // Nothing held past the limit, ever.
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(max + 4);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('property: a header over the limit is refused before any body byte is buffered', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 << 20 }),
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.uint8Array({ maxLength: 100 }),
        (max, extra, trailing) => {
          const announced = Math.min(0xffffffff, max + extra);
          const decoder = new FrameDecoder({ maxFrameBytes: max });
          const out = decoder.push(concatBytes([header(announced), trailing]));
          expect(out).toHaveLength(1);
          expect(out[0]).toMatchObject({ ok: false, code: ErrorCode.FRAME_TOO_LARGE, fatal: true });
          expect(decoder.bufferedBytes).toBe(0);
          expect(decoder.isFailed).toBe(true);
          // Once failed, it holds nothing and yields nothing.
          expect(decoder.push(new Uint8Array(1000))).toEqual([]);
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
    );
  });

  it('refuses 0xFFFFFFFF under the default 16 MiB limit', () => {
    const decoder = new FrameDecoder();
    const [item] = decoder.push(header(0xffffffff));
    expect(item).toMatchObject({ ok: false, code: ErrorCode.FRAME_TOO_LARGE });
  });

  it('reports bad UTF-8 and bad JSON as typed errors and goes on decoding', () => {
    const decoder = new FrameDecoder();
    const stream = concatBytes([
      frameBytes(new Uint8Array([0x22, 0xff, 0xfe, 0x22])),
      frameBytes(utf8('{"unterminated"')),
      encodeFrame({ ok: true }),
    ]);
    const out = decoder.push(stream);
    expect(out.map((f) => (f.ok ? f.value : f.code))).toEqual([
      ErrorCode.BAD_UTF8,
      ErrorCode.BAD_JSON,
      { ok: true },
    ]);
    expect(out.slice(0, 2).every((f) => !f.ok && !f.fatal)).toBe(true);
  });

  it('reports a stream cut mid-frame or mid-header at the end', () => {
    const frame = encodeFrame({ x: 'y' });
    const a = new FrameDecoder();
    a.push(frame.subarray(0, frame.length - 1));
    expect(a.end()[0]).toMatchObject({ ok: false, code: ErrorCode.FRAME_TRUNCATED });
    const b = new FrameDecoder();
    b.push(frame.subarray(0, 2));
    expect(b.end()[0]).toMatchObject({ ok: false, code: ErrorCode.FRAME_TRUNCATED });
  });

  it('decodes an empty body as a JSON error, not a hang', () => {
    const [item] = new FrameDecoder().push(header(0));
    expect(item).toMatchObject({ ok: false, code: ErrorCode.BAD_JSON });
  });
});

describe('binary chunk frames', () => {
  const hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b));

  it('property: a chunk frame, split anywhere among JSON frames, decodes to a valid blob message with the same bytes', () => {
    fc.assert(
      fc.property(
        hex,
        fc.nat({ max: 0xffffffff }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (sha256, index, data, cuts) => {
          const before = encodeFrame({ type: 'peers.get' });
          const stream = concatBytes([before, encodeChunkFrame(sha256, index, data), before]);
          const out = decodeAll(new FrameDecoder(), split(stream, cuts));
          expect(out).toHaveLength(3);
          const chunk = out[1]!;
          if (!chunk.ok) throw new Error(chunk.message);
          const parsed = parseMessage(chunk.value);
          if (!parsed.ok) throw new Error(parsed.message);
          expect(parsed.value).toEqual({ type: 'blob', sha256, index, bytes: data });
          expect(chunk.bytes).toBe(BINARY_CHUNK_HEADER_BYTES + data.length);
        },
      ),
    );
  });

  it('the body alone (a WebSocket binary message) decodes the same, and the frame is that body framed', () => {
    const sha = 'ab'.repeat(32);
    const body = encodeChunkBody(sha, 7, utf8('hello'));
    expect(body[0]).toBe(BINARY_CHUNK_TAG);
    expect(encodeChunkFrame(sha, 7, utf8('hello'))).toEqual(frameBytes(body));
    const decoded = decodeBody(body);
    expect(decoded.ok && parseMessage(decoded.value)).toMatchObject({ ok: true });
  });

  it('refuses a body shorter than its header, and a JSON decoder never takes text for a chunk', () => {
    const short = new Uint8Array([BINARY_CHUNK_TAG, 1, 2, 3]);
    expect(decodeBody(short)).toMatchObject({ ok: false, code: ErrorCode.BAD_MESSAGE, fatal: false });
    // No UTF-8 text starts with the tag: a JSON body is never a chunk.
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(short)).toThrow();
  });

  it('a chunk over the chunk size limit does not validate as a blob message', () => {
    const body = encodeChunkBody('cd'.repeat(32), 0, new Uint8Array(MAX_CHUNK_SIZE + 1));
    const decoded = decodeBody(body);
    expect(decoded.ok && parseMessage(decoded.value).ok).toBe(false);
  });
});
