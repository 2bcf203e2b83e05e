/**
 * The relay's steps on an uploaded texture, timed one by one on the same bytes (for
 * `bench/upload.ts`): the whole-blob hash, the chunk list, the image check, the durable write.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describeBlob, sha256Hex, type Slot, type TextureMime } from '../protocol/index.ts';
import { checkContent } from '../signaling/relay/content.ts';
import { DecodeQueue } from '../signaling/relay/decode-queue.ts';
import { DEFAULT_RELAY_LIMITS } from '../signaling/relay/limits.ts';
import { writeFileAtomic } from '../signaling/store/atomic.ts';

/** The columns of the steps table. */
export const STEP_NAMES = ['sha256', 'chunk hashes', 'image check', 'write + fsync'] as const;

/** Times each step on `bytes`: `wall ms / CPU ms`. */
export async function relaySteps(
  bytes: Uint8Array,
  mime: TextureMime,
  dir: string,
): Promise<Record<(typeof STEP_NAMES)[number], string>> {
  // Wall ms and CPU ms of the process (every thread: sharp's and zlib's run on the pool).
  const time = async (f: () => Promise<unknown>): Promise<string> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await f();
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return `${wall.toFixed(1)} / ${((cpu.user + cpu.system) / 1000).toFixed(1)}`;
  };
  const desc = await describeBlob(bytes);
  const slot = { kind: 'texture', mime, version: '1', ...desc } as Slot;
  const bounds = {
    maxPixels: DEFAULT_RELAY_LIMITS.maxTexturePixels,
    decode: new DecodeQueue(DEFAULT_RELAY_LIMITS.decodeTimeoutMs),
  };
  return {
    sha256: await time(() => sha256Hex(bytes)),
    'chunk hashes': await time(() => describeBlob(bytes, desc.chunkSize)),
    'image check': await time(async () => {
      const checked = await checkContent('background', slot, bytes, bounds);
      if (!checked.ok) throw new Error(checked.message);
    }),
    'write + fsync': await time(() => writeFileAtomic(join(dir, desc.sha256), bytes)),
  };
}
