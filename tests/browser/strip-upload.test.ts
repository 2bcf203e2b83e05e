/**
 * A big background's upload spread over frames (`player/game/strip-upload.ts`), in real Chromium's
 * WebGL 2: the texels uploaded strip by strip — a partial last strip included — are the image's,
 * exactly as a whole upload gives them; and the game scene puts such an image on the wall only in
 * the frame its last strip goes up (one strip per `render()`), while a small image, a hidden page
 * (`inStrips: false`) and `finishUpload` show it at once.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './helpers/admin-env.ts';

let ctx: BrowserContext;
let page: Page;
let server: Server;

beforeAll(async () => {
  const bundle = await build({
    stdin: {
      contents: `
        export { StripUpload, stripRows } from './player/game/strip-upload.ts';
        export { GameScene } from './player/game/scene.ts';
        export { LinearFilter, SRGBColorSpace, Texture, WebGLRenderer } from 'three';
      `,
      resolveDir: process.cwd(),
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    globalName: 'game',
    write: false,
    target: 'es2022',
  });
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>strips</title><canvas width="320" height="240"></canvas>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ctx = await launchChromium();
  page = await ctx.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
  await page.addScriptTag({
    content: `
      // Noise (a fixed sequence), opaque: any row or column out of place shows.
      window.noise = (width, height) => {
        const data = new Uint8ClampedArray(width * height * 4);
        let x = 7;
        for (let i = 0; i < data.length; i++) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          data[i] = (i & 3) === 3 ? 255 : x >>> 24;
        }
        return data;
      };
      window.bitmapOf = (data, width, height) =>
        createImageBitmap(new ImageData(data, width, height), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
      window.textureOf = (bitmap) => {
        const t = new game.Texture(bitmap);
        t.colorSpace = game.SRGBColorSpace;
        t.flipY = false;
        t.generateMipmaps = false;
        t.minFilter = game.LinearFilter;
        t.magFilter = game.LinearFilter;
        t.needsUpdate = true;
        return t;
      };
      // The texels as stored on the GPU, row 0 first, through a framebuffer on the texture.
      window.readTexture = (renderer, texture, width, height) => {
        const gl = renderer.getContext();
        const fb = gl.createFramebuffer();
        gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
        const handle = renderer.properties.get(texture).__webglTexture;
        gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, handle, 0);
        const out = new Uint8Array(width * height * 4);
        gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, out);
        gl.bindFramebuffer(gl.FRAMEBUFFER, null);
        gl.deleteFramebuffer(fb);
        renderer.resetState();
        return out;
      };
    `,
  });
});

afterAll(async () => {
  await ctx?.close();
  server?.close();
});

describe('StripUpload', () => {
  it('uploads the image strip by strip, a partial last strip too, to the same texels as a whole upload', async () => {
    const result = await page.evaluate(async () => {
      const g = window as unknown as Record<string, (...args: unknown[]) => unknown>;
      const lib = Reflect.get(window, 'game') as Record<string, new (...args: unknown[]) => unknown> & {
        stripRows(width: number, bytes: number): number;
      };
      const width = 301;
      const height = 257;
      const source = g['noise']!(width, height) as Uint8ClampedArray;
      const renderer = new lib['WebGLRenderer']!({ canvas: document.querySelector('canvas') }) as {
        initTexture(t: unknown): void;
        dispose(): void;
      };
      const bitmap = (await g['bitmapOf']!(source, width, height)) as ImageBitmap;
      const bytesPerStrip = width * 4 * 40;
      const stripped = g['textureOf']!(bitmap);
      const strips = new lib['StripUpload']!(renderer, stripped, bitmap, bytesPerStrip) as {
        step(): boolean;
        done: boolean;
      };
      const beforeAny = strips.done;
      let steps = 0;
      while (!strips.step()) steps++;
      steps++;
      const whole = g['textureOf']!(bitmap);
      renderer.initTexture(whole);
      const a = g['readTexture']!(renderer, stripped, width, height) as Uint8Array;
      const b = g['readTexture']!(renderer, whole, width, height) as Uint8Array;
      let differ = 0;
      let fromSource = 0;
      for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) differ++;
        if (a[i] !== source[i]) fromSource++;
      }
      renderer.dispose();
      return { beforeAny, steps, rows: lib.stripRows(width, bytesPerStrip), differ, fromSource, n: a.length };
    });
    expect(result.rows).toBe(40);
    expect(result.beforeAny).toBe(false);
    expect(result.steps).toBe(Math.ceil(257 / 40)); // 7: six of 40 rows, one of 17
    expect(result.n).toBe(301 * 257 * 4);
    expect(result.differ).toBe(0);
    expect(result.fromSource).toBe(0);
  });
});

describe('GameScene.setBackground', () => {
  it('shows a big image in the frame its last strip goes up, a small one at once', async () => {
    const result = await page.evaluate(async () => {
      const g = window as unknown as Record<string, (...args: unknown[]) => unknown>;
      const lib = Reflect.get(window, 'game') as Record<string, new (...args: unknown[]) => unknown> & {
        stripRows(width: number): number;
      };
      const canvas = document.querySelector('canvas');
      const scene = new lib['GameScene']!(canvas) as {
        setBackground(d: unknown, o?: { inStrips?: boolean }): Promise<void>;
        finishUpload(): void;
        clearBackground(): void;
        render(): void;
      };
      const decoded = async (width: number, height: number) => {
        const bitmap = (await g['bitmapOf']!(g['noise']!(width, height), width, height)) as ImageBitmap;
        return { bitmap, width, height };
      };
      const tick = () => new Promise((r) => setTimeout(r, 0));
      const shownAfterFrames = async (promise: Promise<void>) => {
        let shown = false;
        void promise.then(() => (shown = true));
        await tick();
        let frames = 0;
        while (!shown && frames < 50) {
          scene.render();
          frames++;
          await tick();
        }
        return shown ? frames : -1;
      };
      // 1280 × 1200 RGBA is 5.9 MiB: three strips of 2 MiB (409 rows), the first in the call.
      const big = await shownAfterFrames(scene.setBackground(await decoded(1280, 1200)));
      const small = await shownAfterFrames(scene.setBackground(await decoded(256, 256)));
      const hidden = await shownAfterFrames(
        scene.setBackground(await decoded(1280, 1200), { inStrips: false }),
      );
      const pending = scene.setBackground(await decoded(1280, 1200));
      scene.finishUpload();
      const finished = await shownAfterFrames(pending);
      // Taken off the wall while on its way: its waiter is not left hanging.
      const dropped = scene.setBackground(await decoded(1280, 1200));
      scene.clearBackground();
      const cleared = await shownAfterFrames(dropped);
      return { rows: lib.stripRows(1280), big, small, hidden, finished, cleared };
    });
    expect(result.rows).toBe(409);
    expect(result.big).toBe(2);
    expect(result.small).toBe(0);
    expect(result.hidden).toBe(0);
    expect(result.finished).toBe(0);
    expect(result.cleared).toBe(0);
  });
});
