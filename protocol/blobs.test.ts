import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BlobAssembler,
  describeBlob,
  sliceChunk,
  verifyBlob,
  verifyBlobChunks,
  verifyChunk,
} from './blobs.ts';
import { ErrorCode } from './errors.ts';

const blob = new Uint8Array(10_000).map((_, i) => Math.imul(i + 1, 2654435761) >>> 24);

describe('blobs and chunks', () => {
  it('describes a blob: hash, size and one hash per chunk', async () => {
    const desc = await describeBlob(blob, 4096);
    expect(desc.size).toBe(10_000);
    expect(desc.chunks).toHaveLength(3);
    expect((await verifyBlob(desc, blob)).ok).toBe(true);
  });

  it('refuses a chunk with a wrong hash, a wrong length or an index out of range', async () => {
    const desc = await describeBlob(blob, 4096);
    const bad = sliceChunk(blob, 1, 4096).slice();
    bad[0] = bad[0]! ^ 1;
    expect(await verifyChunk(desc, 1, bad)).toMatchObject({ ok: false, code: ErrorCode.HASH_MISMATCH });
    expect(await verifyChunk(desc, 1, bad.subarray(1))).toMatchObject({
      ok: false,
      code: ErrorCode.HASH_MISMATCH,
    });
    expect(await verifyChunk(desc, 3, bad)).toMatchObject({ ok: false, code: ErrorCode.BAD_MESSAGE });
    expect(await verifyChunk(desc, -1, bad)).toMatchObject({ ok: false, code: ErrorCode.BAD_MESSAGE });
  });

  it('refuses a whole blob whose chunk list lies even when the whole hash is right', async () => {
    const desc = await describeBlob(blob, 4096);
    const lying = { ...desc, chunks: [desc.chunks[1]!, desc.chunks[0]!, desc.chunks[2]!] };
    expect(await verifyBlob(lying, blob)).toMatchObject({ ok: false, code: ErrorCode.BAD_SLOT });
  });

  it('checks a whole blob by its chunks: every byte, the size and the chunk list, not the whole hash', async () => {
    const desc = await describeBlob(blob, 4096);
    expect(await verifyBlobChunks(desc, blob)).toMatchObject({ ok: true, value: blob });
    // Any byte changed, in any chunk (the last, short one too), is refused, naming the chunk.
    for (const at of [0, 4095, 4096, 9_999]) {
      const bad = blob.slice();
      bad[at] = bad[at]! ^ 0x80;
      expect(await verifyBlobChunks(desc, bad)).toMatchObject({
        ok: false,
        code: ErrorCode.HASH_MISMATCH,
        message: `chunk ${Math.floor(at / 4096)} hash mismatch`,
      });
    }
    expect(await verifyBlobChunks(desc, blob.subarray(1))).toMatchObject({
      ok: false,
      code: ErrorCode.HASH_MISMATCH,
    });
    const bigger = new Uint8Array(10_001);
    bigger.set(blob);
    expect(await verifyBlobChunks(desc, bigger)).toMatchObject({ ok: false, code: ErrorCode.HASH_MISMATCH });
    const short = { ...desc, chunks: desc.chunks.slice(0, 2) };
    expect(await verifyBlobChunks(short, blob)).toMatchObject({ ok: false, code: ErrorCode.BAD_SLOT });
    // The whole-blob hash is the blob's name, checked by the relay; the signed chunk hashes cover
    // every byte, so a name that disagrees with them is not this check's to find.
    const renamed = { ...desc, sha256: '0'.repeat(64) };
    expect(await verifyBlobChunks(renamed, blob)).toMatchObject({ ok: true });
  });

  it('property: chunks in any order reassemble to the blob; a bad chunk changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 5000 }),
        fc.integer({ min: 1, max: 1500 }),
        fc.func(fc.integer()),
        async (bytes, chunkSize, order) => {
          const desc = await describeBlob(bytes, chunkSize);
          const asm = new BlobAssembler(desc);
          const indexes = desc.chunks.map((_, i) => i).sort((a, b) => order(a) - order(b));
          for (const i of indexes) {
            const corrupt = sliceChunk(bytes, i, chunkSize).slice();
            corrupt[0] = corrupt[0]! ^ 0xff;
            expect((await asm.add(i, corrupt)).ok).toBe(false);
            expect(asm.has(i)).toBe(false);
            expect((await asm.add(i, sliceChunk(bytes, i, chunkSize))).ok).toBe(true);
          }
          expect(asm.complete).toBe(true);
          expect(asm.missing()).toEqual([]);
          const whole = await asm.assemble();
          expect(whole.ok && whole.value).toEqual(bytes);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('tracks progress and refuses to assemble an incomplete blob', async () => {
    const desc = await describeBlob(blob, 4096);
    const asm = new BlobAssembler(desc);
    await asm.add(2, sliceChunk(blob, 2, 4096));
    expect(asm.receivedBytes).toBe(10_000 - 8192);
    expect(asm.missing()).toEqual([0, 1]);
    expect(await asm.assemble()).toMatchObject({ ok: false, code: ErrorCode.BLOB_MISSING });
  });

  it('assembles by the chunks alone: each hashed once, no whole-blob hash; a chunk list short of the size is refused', async () => {
    const desc = await describeBlob(blob, 4096);
    let hashes = 0;
    const counting = async (bytes: Uint8Array) => {
      hashes++;
      return (await describeBlob(bytes, bytes.length)).sha256;
    };
    const asm = new BlobAssembler(desc, counting);
    for (let i = 0; i < 3; i++)
      expect(await asm.add(i, sliceChunk(blob, i, 4096))).toMatchObject({ ok: true });
    expect(await asm.assemble()).toMatchObject({ ok: true, value: blob });
    expect(hashes).toBe(3);
    // Every byte was checked against a signed chunk hash; the whole hash is the blob's name (the
    // relay checks it), so a descriptor that names the bytes otherwise still assembles them.
    const renamed = new BlobAssembler({ ...desc, sha256: 'f'.repeat(64) });
    for (let i = 0; i < 3; i++) await renamed.add(i, sliceChunk(blob, i, 4096));
    expect(await renamed.assemble()).toMatchObject({ ok: true, value: blob });
    // A chunk list that stops short of the size would assemble fewer bytes than the slot says.
    const short = new BlobAssembler({ ...desc, chunks: desc.chunks.slice(0, 2) });
    for (let i = 0; i < 2; i++) expect((await short.add(i, sliceChunk(blob, i, 4096))).ok).toBe(true);
    expect(await short.assemble()).toMatchObject({ ok: false, code: ErrorCode.HASH_MISMATCH });
  });
});
