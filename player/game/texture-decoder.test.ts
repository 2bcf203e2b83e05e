// @vitest-environment happy-dom
/**
 * The page's texture decoder gives up on a worker that never answers (crashed without an `error`
 * event): the texture is decoded on the page instead, and later ones go straight there.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DecodedTexture } from './texture.ts';
import { workerTextureDecoder } from './texture-decoder.ts';

/** A worker that takes every message and answers none. */
class SilentWorker {
  static made: SilentWorker[] = [];
  terminated = false;
  messages = 0;
  constructor() {
    SilentWorker.made.push(this);
  }
  postMessage(): void {
    this.messages++;
  }
  addEventListener(): void {}
  removeEventListener(): void {}
  terminate(): void {
    this.terminated = true;
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
  SilentWorker.made = [];
});

describe('workerTextureDecoder', () => {
  it('decodes on the page when the worker does not answer in time, and stops asking it', async () => {
    vi.stubGlobal('Worker', SilentWorker);
    const decoded = { width: 1, height: 1 } as unknown as DecodedTexture;
    const onPage = vi.fn(async () => decoded);
    const decode = workerTextureDecoder('/texture.worker.js', { timeoutMs: 50, onPage });
    const worker = SilentWorker.made[0]!;

    const started = Date.now();
    await expect(decode(new Uint8Array([1]), 'image/png')).resolves.toBe(decoded);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(worker.messages).toBe(1);
    expect(worker.terminated).toBe(true);

    await expect(decode(new Uint8Array([2]), 'image/png')).resolves.toBe(decoded);
    expect(worker.messages).toBe(1); // the worker is not asked again
    expect(onPage).toHaveBeenCalledTimes(2);
  });
});
