import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ErrorCode } from '../errors.ts';
import {
  decodeBitfield,
  decodeChunkFrame,
  encodeBitfield,
  encodeChunkFrame,
  encodePeerMessage,
  parsePeerMessage,
} from './wire.ts';

const sha = 'ab'.repeat(32);

describe('swarm wire', () => {
  it('property: chunk frames round-trip as binary', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), (bytes, index) => {
        const frame = encodeChunkFrame({ sha256: sha, index, bytes });
        expect(frame.length).toBe(38 + bytes.length);
        const back = decodeChunkFrame(frame);
        expect(back.ok && back.value.index).toBe(index);
        expect(back.ok && back.value.sha256).toBe(sha);
        expect(back.ok && Buffer.from(back.value.bytes).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('passes on a chunk that came in a frame as that frame, without a copy', () => {
    const frame = encodeChunkFrame({ sha256: sha, index: 7, bytes: new Uint8Array(64 << 10).fill(5) });
    const got = decodeChunkFrame(frame);
    if (!got.ok) throw new Error('frame did not decode');
    const again = encodeChunkFrame(got.value);
    expect(again.buffer).toBe(frame.buffer);
    expect([again.byteOffset, again.length]).toEqual([frame.byteOffset, frame.length]);
  });

  it('property: a chunk is framed with its own header whatever its bytes are a view into', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.constantFrom(sha, 'cd'.repeat(32)),
        fc.boolean(),
        fc.oneof(fc.constant(38), fc.nat(400)),
        (bytes, frameIndex, frameSha, sameIndex, start) => {
          // The bytes as a view into a frame: right after its header (this chunk's, or another's), or
          // anywhere else in it.
          const carrier = encodeChunkFrame({ sha256: frameSha, index: frameIndex, bytes });
          const payload = carrier.subarray(Math.min(start, carrier.length));
          const index = sameIndex ? frameIndex : frameIndex + 1;
          const fresh = encodeChunkFrame({ sha256: sha, index, bytes: payload.slice() });
          const framed = encodeChunkFrame({ sha256: sha, index, bytes: payload });
          expect(Buffer.from(framed).equals(Buffer.from(fresh))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses binary that is not a chunk frame', () => {
    expect(decodeChunkFrame(new Uint8Array([1, 2, 3]))).toMatchObject({
      ok: false,
      code: ErrorCode.BAD_MESSAGE,
    });
  });

  it('property: bitfields round-trip', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(499)), (indexes) => {
        expect(decodeBitfield(encodeBitfield(indexes, 500), 500)).toEqual([...indexes].sort((a, b) => a - b));
      }),
    );
  });

  it('parses every control message and refuses junk with typed codes', () => {
    for (const msg of [
      { type: 'peer.hello', seq: 3, have: { [sha]: encodeBitfield([0, 2], 3) } },
      { type: 'peer.have', sha256: sha, index: 2 },
      { type: 'peer.get', sha256: sha, index: 1 },
      { type: 'peer.none', sha256: sha, index: 1 },
    ] as const) {
      expect(parsePeerMessage(encodePeerMessage(msg))).toEqual({ ok: true, value: msg });
    }
    expect(parsePeerMessage('nope')).toMatchObject({ ok: false, code: ErrorCode.BAD_JSON });
    expect(parsePeerMessage('{"type":"peer.x"}')).toMatchObject({ ok: false, code: ErrorCode.UNKNOWN_TYPE });
    expect(parsePeerMessage('{"type":"peer.get","sha256":"x","index":1}')).toMatchObject({ ok: false });
    expect(parsePeerMessage('x'.repeat(300_000))).toMatchObject({
      ok: false,
      code: ErrorCode.FRAME_TOO_LARGE,
    });
  });
});
