/**
 * The relay's blob checks given the hashes its upload route took while the body streamed in: they
 * refuse what `verifyBlob` refuses, with its codes, without hashing the bytes again.
 */
import { describe, expect, it } from 'vitest';
import { describeBlob, ErrorCode, verifyBlob, type Slot } from '../../protocol/index.ts';
import { bigPngBytes } from '../testing/helpers.ts';
import { BlobChecks } from './blob-checks.ts';
import { DecodeQueue } from './decode-queue.ts';

describe('BlobChecks with streamed digests', () => {
  it('refuses a slot whose chunk list lies (BAD_SLOT) or whose hash differs (HASH_MISMATCH), as verifyBlob does', async () => {
    const bytes = await bigPngBytes(200_000);
    const desc = await describeBlob(bytes, 50_000);
    const slot: Slot = {
      kind: 'texture',
      mime: 'image/png',
      version: '1',
      ...desc,
      chunks: [...desc.chunks],
    };
    const digests = { ...desc };
    const checks = () => new BlobChecks({ maxPixels: 4096 * 4096, decode: new DecodeQueue(5_000) });

    const lying: Slot = { ...slot, chunks: [...slot.chunks.slice(1), slot.chunks[0]!] };
    const viaBytes = await verifyBlob(lying, bytes);
    const viaDigests = await checks().check('background', lying, bytes, digests);
    expect(viaBytes).toMatchObject({ ok: false, code: ErrorCode.BAD_SLOT });
    expect(viaDigests).toMatchObject({ ok: false, code: ErrorCode.BAD_SLOT });

    const other: Slot = { ...slot, sha256: 'ab'.repeat(32) };
    expect(await checks().check('background', other, bytes, digests)).toMatchObject({
      ok: false,
      code: ErrorCode.HASH_MISMATCH,
    });
    expect(await checks().check('background', slot, bytes, digests)).toEqual({ ok: true, value: null });
  });
});
