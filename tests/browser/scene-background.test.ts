/**
 * The game scene's background in real Chromium's WebGL 2 (`player/game/scene.ts`): a new image
 * replaces the old one with the old one's GPU memory freed *before* the new one is allocated (software
 * WebGL then reuses it; allocated beside it, a 1280 × 1200 image's first frame took 52–138 ms here
 * instead of 16–21), in one task, so no frame shows the wall without one; the old bitmap is closed;
 * `clearBackground` frees the image too. The GL calls are watched on the scene's own context.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openBundlePage, type BundlePage } from './helpers/bundle-page.ts';

let opened: BundlePage;
let page: Page;

beforeAll(async () => {
  opened = await openBundlePage(
    `export { GameScene } from './player/game/scene.ts';`,
    'game',
    '<canvas width="320" height="240"></canvas>',
  );
  page = opened.page;
});

afterAll(async () => {
  await opened?.close();
});

describe('GameScene backgrounds', () => {
  it('frees the old image before the new one is allocated, closes its bitmap, and clearBackground frees it', async () => {
    const result = await page.evaluate(async () => {
      const lib = Reflect.get(window, 'game') as { GameScene: new (c: HTMLCanvasElement) => unknown };
      const canvas = document.querySelector('canvas')!;
      const scene = new lib.GameScene(canvas) as {
        renderer: { getContext(): WebGL2RenderingContext };
        setBackground(d: { bitmap: ImageBitmap; width: number; height: number }): void;
        clearBackground(): void;
        render(): void;
      };
      scene.render(); // the scene's own textures (the blank map, shadows) made
      const gl = scene.renderer.getContext();
      const calls: string[] = [];
      const names = new Map<WebGLTexture, string>();
      let next = 0;
      const watch = <K extends 'createTexture' | 'deleteTexture' | 'texStorage2D'>(name: K) => {
        const real = gl[name].bind(gl) as (...args: unknown[]) => unknown;
        Reflect.set(gl, name, (...args: unknown[]) => {
          const out = real(...args);
          if (name === 'createTexture') names.set(out as WebGLTexture, `t${next++}`);
          if (name === 'deleteTexture') calls.push(`delete ${names.get(args[0] as WebGLTexture) ?? '?'}`);
          if (name === 'texStorage2D') calls.push(`storage ${String(args[3])}x${String(args[4])}`);
          return out;
        });
      };
      watch('createTexture');
      watch('deleteTexture');
      watch('texStorage2D');
      const image = async (width: number, height: number) => {
        const bitmap = await createImageBitmap(new ImageData(width, height));
        return { bitmap, width, height };
      };
      const first = await image(64, 32);
      scene.setBackground(first);
      scene.render();
      const second = await image(48, 16);
      scene.setBackground(second);
      scene.render();
      const firstClosed = first.bitmap.width === 0;
      const secondOpen = second.bitmap.width === 48;
      scene.clearBackground();
      scene.render();
      return { calls, firstClosed, secondOpen, secondClosed: second.bitmap.width === 0 };
    });
    // The first image's storage, then (replaced) its texture deleted before the second's storage.
    expect(result.calls).toEqual(['storage 64x32', 'delete t0', 'storage 48x16', 'delete t1']);
    expect(result.firstClosed).toBe(true);
    expect(result.secondOpen).toBe(true);
    expect(result.secondClosed).toBe(true);
  });
});
