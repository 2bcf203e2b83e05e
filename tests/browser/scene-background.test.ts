/**
 * The game scene's background in real Chromium's WebGL 2 (`player/game/scene.ts`): a new image
 * replaces the old one with the old one's GPU memory freed *before* the new one is allocated (software
 * WebGL then reuses it; allocated beside it, a 1280 × 1200 image's first frame took 52–138 ms here
 * instead of 16–21), in one task, so no frame shows the wall without one; the old bitmap is closed;
 * `clearBackground` frees the image too. The GL calls are watched on the scene's own context.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { openBundlePage, type BundlePage } from './helpers/bundle-page.ts';

let opened: BundlePage;
let page: Page;

beforeAll(async () => {
  opened = await openBundlePage(
    `export { GameScene } from './player/game/scene.ts';
     export { decodeTexels, decodeTexture } from './player/game/texture.ts';`,
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

  it('shows an image the same way up from texels (flipped by the UV transform) as from a flipped bitmap', async () => {
    // Opaque (no alpha channel), so that decodeTexels gives texels: top half red, bottom half blue.
    const width = 96;
    const height = 64;
    const raw = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) raw[i * 3 + (i < (width * height) / 2 ? 0 : 2)] = 255;
    const png = await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    const result = await page.evaluate(async (b64) => {
      const lib = Reflect.get(window, 'game') as {
        GameScene: new (c: HTMLCanvasElement) => unknown;
        decodeTexture(bytes: Uint8Array, mime: string): Promise<unknown>;
        decodeTexels(bytes: Uint8Array, mime: string): Promise<unknown>;
      };
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const canvas = document.querySelector('canvas')!;
      const scene = new lib.GameScene(canvas) as {
        renderer: { getContext(): WebGL2RenderingContext };
        setBackground(d: unknown): void;
        render(): void;
      };
      const gl = scene.renderer.getContext();
      const frame = (decoded: unknown) => {
        scene.setBackground(decoded);
        scene.render();
        const out = new Uint8Array(canvas.width * canvas.height * 4);
        gl.readPixels(0, 0, canvas.width, canvas.height, gl.RGBA, gl.UNSIGNED_BYTE, out);
        return out;
      };
      const texels = await lib.decodeTexels(bytes, 'image/png');
      const fromBitmap = frame(await lib.decodeTexture(bytes, 'image/png'));
      const fromTexels = frame(texels);
      let differing = 0;
      // Rows of the frame (bottom-up, as WebGL reads them) that are mostly red, and mostly blue.
      let redY = 0;
      let redN = 0;
      let blueY = 0;
      let blueN = 0;
      for (let i = 0; i < fromBitmap.length; i += 4) {
        const d = Math.max(...[0, 1, 2].map((c) => Math.abs(fromBitmap[i + c]! - fromTexels[i + c]!)));
        if (d > 2) differing++;
        const [r, g, b] = [fromTexels[i]!, fromTexels[i + 1]!, fromTexels[i + 2]!];
        const y = Math.floor(i / 4 / canvas.width);
        if (r > 100 && r > 3 * (g + b)) ((redY += y), redN++);
        if (b > 100 && b > 3 * (r + g)) ((blueY += y), blueN++);
      }
      return {
        asTexels: 'texels' in (texels as object),
        differing,
        redN,
        blueN,
        redAbove: redY / Math.max(1, redN) > blueY / Math.max(1, blueN),
      };
    }, png.toString('base64'));
    expect(result.asTexels).toBe(true);
    // The wall shows the image, red above blue, and the two frames agree texel for texel (±2).
    expect(result.redN).toBeGreaterThan(500);
    expect(result.blueN).toBeGreaterThan(500);
    expect(result.redAbove).toBe(true);
    expect(result.differing).toBe(0);
  });

  it('hands back the texels of the image it replaced (none for a bitmap), for the next texture to reuse', async () => {
    const result = await page.evaluate(async () => {
      const lib = Reflect.get(window, 'game') as { GameScene: new (c: HTMLCanvasElement) => unknown };
      const scene = new lib.GameScene(document.querySelector('canvas')!) as {
        setBackground(d: unknown): Uint8Array | null;
        render(): void;
      };
      const texels = (fill: number) => ({
        texels: new Uint8Array(8 * 4 * 4).fill(fill),
        width: 8,
        height: 4,
      });
      const a = texels(1);
      const b = texels(2);
      const bitmap = { bitmap: await createImageBitmap(new ImageData(8, 4)), width: 8, height: 4 };
      const got: (string | null)[] = [];
      const name = (back: Uint8Array | null) =>
        back === null ? null : back === a.texels ? 'a' : back === b.texels ? 'b' : 'other';
      got.push(name(scene.setBackground(a)));
      scene.render();
      got.push(name(scene.setBackground(b)));
      scene.render();
      got.push(name(scene.setBackground(bitmap)));
      scene.render();
      got.push(name(scene.setBackground(texels(3))));
      scene.render();
      return got;
    });
    expect(result).toEqual([null, 'a', 'b', null]);
  });
});
