/**
 * `decodeTexture` in real Chromium, both ways it decodes: WebCodecs' `ImageDecoder` where the platform
 * has it (the fast path) and `createImageBitmap(Blob)` where it hasn't. Each image is decoded both
 * ways and uploaded to WebGL as the game does (no premultiply, no flip at upload), and the texels read
 * back must agree: flipped for WebGL, alpha as stored, huge images scaled to the drawn size, refusals
 * with `BAD_IMAGE`. The fast path must really be taken for a PNG where it exists, and not for JPEG or
 * WebP (the decoder is counted).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { pngBytes } from '../../signaling/testing/helpers.ts';
import { openBundlePage, type BundlePage } from './helpers/bundle-page.ts';

let opened: BundlePage;
let page: Page;

/** What the page reports of one decode: the size, the decoded edges, the texels, or the error. */
interface Decoded {
  readonly ok: boolean;
  readonly error?: string;
  readonly width?: number;
  readonly height?: number;
  readonly bitmapWidth?: number;
  readonly bitmapHeight?: number;
  /** `decodeTexels` gave texels (not a bitmap), this many bytes of them. */
  readonly asTexels?: boolean;
  readonly texelBytes?: number;
  /**
   * RGBA texels read back from WebGL, row 0 first (as texture row 0, the bitmap's first row); for
   * texels, their rows bottom-up (as the scene's UV transform samples them).
   */
  readonly texels?: number[];
}

beforeAll(async () => {
  opened = await openBundlePage(`export * from './player/game/texture.ts';`, 'textureModule');
  page = opened.page;
  // The page's helpers: decode one way or the other, then read the texels back through WebGL.
  await page.addScriptTag({
    content: `
      window.decoderCalls = 0;
      const RealDecoder = window.ImageDecoder;
      if (RealDecoder) {
        window.ImageDecoder = class extends RealDecoder {
          constructor(init) { super(init); window.decoderCalls++; }
        };
        window.ImageDecoder.isTypeSupported = (t) => RealDecoder.isTypeSupported(t);
      }
      const CountedDecoder = window.ImageDecoder;
      function texels(bitmap) {
        const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
        const gl = canvas.getContext('webgl2');
        const tex = gl.createTexture();
        gl.bindTexture(gl.TEXTURE_2D, tex);
        gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
        gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
        gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
        const fb = gl.createFramebuffer();
        gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
        gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
        const out = new Uint8Array(bitmap.width * bitmap.height * 4);
        gl.readPixels(0, 0, bitmap.width, bitmap.height, gl.RGBA, gl.UNSIGNED_BYTE, out);
        return Array.from(out);
      }
      // decodeTexels' texels are rows top-down: flipped here to compare with WebGL's rows of a bitmap.
      function bottomUp(d) {
        const row = d.width * 4;
        const out = [];
        for (let y = d.height - 1; y >= 0; y--) out.push(...d.texels.subarray(y * row, (y + 1) * row));
        return out;
      }
      window.decodeWay = async (way, b64, mime, withTexels, fn = 'decodeTexture') => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        window.ImageDecoder = way === 'imageDecoder' ? CountedDecoder : undefined;
        try {
          const d = await textureModule[fn](bytes, mime);
          if (d.texels) {
            return { ok: true, width: d.width, height: d.height, asTexels: true,
              texelBytes: d.texels.length, texels: withTexels ? bottomUp(d) : undefined };
          }
          const r = { ok: true, width: d.width, height: d.height,
            bitmapWidth: d.bitmap.width, bitmapHeight: d.bitmap.height,
            texels: withTexels ? texels(d.bitmap) : undefined };
          d.bitmap.close();
          return r;
        } catch (e) {
          return { ok: false, error: String(e && e.message) };
        } finally {
          window.ImageDecoder = CountedDecoder;
        }
      };
    `,
  });
});

afterAll(async () => {
  await opened?.close();
});

const WAYS = ['imageDecoder', 'blob'] as const;

async function decode(
  way: (typeof WAYS)[number],
  bytes: Uint8Array,
  mime: string,
  withTexels = true,
  fn: 'decodeTexture' | 'decodeTexels' = 'decodeTexture',
): Promise<Decoded> {
  const b64 = Buffer.from(bytes).toString('base64');
  return (await page.evaluate(([w, b, m, t, f]) => Reflect.get(window, 'decodeWay')(w, b, m, t, f), [
    way,
    b64,
    mime,
    withTexels,
    fn,
  ] as const)) as Decoded;
}

const decoderCalls = async (): Promise<number> =>
  Number(await page.evaluate(() => Reflect.get(window, 'decoderCalls')));

/** An RGBA image, top half red and bottom half blue, with alpha falling from 255 to 0 across each row. */
function halves(width: number, height: number): Buffer {
  const raw = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      const top = y < height / 2;
      raw[at] = top ? 255 : 0;
      raw[at + 2] = top ? 0 : 255;
      raw[at + 1] = (x * 7) % 256;
      raw[at + 3] = 255 - Math.round((x / Math.max(1, width - 1)) * 255);
    }
  }
  return raw;
}

/** {@link halves} without its alpha channel, as a PNG: an opaque image, which `decodeTexels` gives as texels. */
async function opaqueHalves(width: number, height: number): Promise<Uint8Array> {
  const raw = halves(width, height);
  return new Uint8Array(
    await sharp(raw, { raw: { width, height, channels: 4 } })
      .removeAlpha()
      .png()
      .toBuffer(),
  );
}

/** Largest difference between two texel arrays of one length (channel values). */
function maxDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('decodeTexture: ImageDecoder and createImageBitmap(Blob) agree', () => {
  it('a PNG with alpha: same texels both ways, flipped for WebGL, alpha not premultiplied, ImageDecoder used', async () => {
    const png = new Uint8Array(
      await sharp(halves(64, 32), { raw: { width: 64, height: 32, channels: 4 } })
        .png()
        .toBuffer(),
    );
    const before = await decoderCalls();
    const fast = await decode('imageDecoder', png, 'image/png');
    expect(await decoderCalls()).toBe(before + 1);
    const slow = await decode('blob', png, 'image/png');
    expect(await decoderCalls()).toBe(before + 1);
    expect(fast).toMatchObject({ ok: true, width: 64, height: 32, bitmapWidth: 64, bitmapHeight: 32 });
    expect(slow).toMatchObject({ ok: true, width: 64, height: 32 });
    expect(maxDiff(fast.texels!, slow.texels!)).toBe(0);
    // Texture row 0 is the image's bottom row (blue), and the alpha is as stored: the first texel is
    // blue at full alpha; half-transparent texels keep their full colour (not premultiplied).
    expect(fast.texels!.slice(0, 4)).toEqual([0, 0, 255, 255]);
    const mid = 32 * 4; // x = 32 of row 0: alpha ≈ 125
    expect(fast.texels![mid + 2]).toBe(255);
    expect(fast.texels![mid + 3]).toBeGreaterThan(100);
    expect(fast.texels![mid + 3]).toBeLessThan(150);
    const lastRow = 31 * 64 * 4;
    expect(fast.texels!.slice(lastRow, lastRow + 4)).toEqual([255, 0, 0, 255]);
  });

  it('a JPEG and a WebP go to createImageBitmap even where ImageDecoder is (it would hand them out as YUV)', async () => {
    const raw = halves(48, 40);
    for (const [mime, bytes] of [
      [
        'image/jpeg',
        await sharp(raw, { raw: { width: 48, height: 40, channels: 4 } })
          .jpeg({ quality: 90 })
          .toBuffer(),
      ],
      [
        'image/webp',
        await sharp(raw, { raw: { width: 48, height: 40, channels: 4 } })
          .webp({ quality: 80 })
          .toBuffer(),
      ],
    ] as const) {
      const before = await decoderCalls();
      const withDecoder = await decode('imageDecoder', new Uint8Array(bytes), mime);
      const without = await decode('blob', new Uint8Array(bytes), mime);
      expect(await decoderCalls(), mime).toBe(before);
      expect(withDecoder, mime).toMatchObject({ ok: true, width: 48, height: 40 });
      expect(maxDiff(withDecoder.texels!, without.texels!), mime).toBe(0);
    }
  });

  it('an image over the drawn size is scaled to 2048 on its longer edge, its published size reported', async () => {
    const png = await pngBytes(3000, 1000, '#3080c0');
    for (const way of WAYS) {
      const d = await decode(way, png, 'image/png', false);
      expect(d, way).toMatchObject({
        ok: true,
        width: 3000,
        height: 1000,
        bitmapWidth: 2048,
        bitmapHeight: 683,
      });
    }
  });

  it('refuses bytes that are no image, and an image over the protocol edge, with BAD_IMAGE both ways', async () => {
    const before = await decoderCalls();
    const junk = new Uint8Array(4096).map((_, i) => (i * 31) % 251);
    const tooWide = await pngBytes(8200, 2, '#000');
    for (const way of WAYS) {
      const bad = await decode(way, junk, 'image/png', false);
      expect(bad.ok, way).toBe(false);
      expect(bad.error, way).toContain('BAD_IMAGE');
      expect(bad.error, way).toContain('does not decode');
      const wide = await decode(way, tooWide, 'image/png', false);
      expect(wide.ok, way).toBe(false);
      expect(wide.error, way).toContain('over the 8192 px limit');
    }
    // The junk tried ImageDecoder first (then the other decoder, for its word); the wide PNG decoded there.
    expect(await decoderCalls()).toBe(before + 2);
  });
});

describe('decodeTexels: texels where the page uploads them cheaply, the same image as decodeTexture', () => {
  it('an opaque PNG through ImageDecoder comes as RGBA texels, rows top-down, equal to the bitmap both ways', async () => {
    const png = await opaqueHalves(40, 30);
    const before = await decoderCalls();
    const texels = await decode('imageDecoder', png, 'image/png', true, 'decodeTexels');
    expect(await decoderCalls()).toBe(before + 1);
    expect(texels).toMatchObject({
      ok: true,
      asTexels: true,
      width: 40,
      height: 30,
      texelBytes: 40 * 30 * 4,
    });
    const bitmap = await decode('imageDecoder', png, 'image/png');
    const blob = await decode('blob', png, 'image/png');
    // The same texels, in the scene's order (the bottom row, blue, first).
    expect(maxDiff(texels.texels!, bitmap.texels!)).toBe(0);
    expect(maxDiff(texels.texels!, blob.texels!)).toBe(0);
    expect(texels.texels!.slice(0, 4)).toEqual([0, 0, 255, 255]);
  });

  it('copies texels into a buffer given back when it has their size, and into fresh memory when not', async () => {
    const png = await opaqueHalves(40, 30);
    const b64 = Buffer.from(png).toString('base64');
    const result = await page.evaluate(async (b64) => {
      const lib = Reflect.get(window, 'textureModule') as {
        decodeTexels(
          bytes: Uint8Array,
          mime: string,
          reuse?: (n: number) => Uint8Array | null,
        ): Promise<{ texels?: Uint8Array }>;
      };
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const fresh = await lib.decodeTexels(bytes, 'image/png');
      // Texels of an earlier image: junk everywhere, which the copy must overwrite.
      const spare = new Uint8Array(40 * 30 * 4).fill(7);
      const asked: number[] = [];
      const reused = await lib.decodeTexels(bytes, 'image/png', (n) => (asked.push(n), spare));
      const wrongSize = new Uint8Array(40 * 30 * 4 + 4);
      const notReused = await lib.decodeTexels(bytes, 'image/png', () => wrongSize);
      const same = (a?: Uint8Array, b?: Uint8Array) => !!a && !!b && a.every((v, i) => v === b[i]);
      return {
        asked,
        intoSpare: reused.texels === spare,
        sameTexels: same(fresh.texels, reused.texels),
        wrongSizeIgnored: notReused.texels !== wrongSize && same(fresh.texels, notReused.texels),
        wrongSizeUntouched: wrongSize.every((v) => v === 0),
      };
    }, b64);
    expect(result).toEqual({
      asked: [40 * 30 * 4],
      intoSpare: true,
      sameTexels: true,
      wrongSizeIgnored: true,
      wrongSizeUntouched: true,
    });
  });

  it('a PNG with alpha comes as a bitmap, its alpha as stored (copyTo would premultiply it)', async () => {
    const png = new Uint8Array(
      await sharp(halves(64, 32), { raw: { width: 64, height: 32, channels: 4 } })
        .png()
        .toBuffer(),
    );
    const decoded = await decode('imageDecoder', png, 'image/png', true, 'decodeTexels');
    expect(decoded).toMatchObject({ ok: true, width: 64, height: 32, bitmapWidth: 64 });
    expect(decoded.asTexels).toBeUndefined();
    const blob = await decode('blob', png, 'image/png');
    expect(maxDiff(decoded.texels!, blob.texels!)).toBe(0);
  });

  it('a bitmap where texels do not apply: an image to scale, a JPEG, a realm without ImageDecoder; refusals as before', async () => {
    const big = await pngBytes(3000, 1000, '#3080c0');
    expect(await decode('imageDecoder', big, 'image/png', false, 'decodeTexels')).toMatchObject({
      ok: true,
      width: 3000,
      height: 1000,
      bitmapWidth: 2048,
      bitmapHeight: 683,
    });
    const jpeg = new Uint8Array(
      await sharp(halves(48, 40), { raw: { width: 48, height: 40, channels: 4 } })
        .jpeg()
        .toBuffer(),
    );
    expect(await decode('imageDecoder', jpeg, 'image/jpeg', false, 'decodeTexels')).toMatchObject({
      ok: true,
      bitmapWidth: 48,
    });
    const small = await pngBytes(16, 8, '#ff0000');
    expect(await decode('blob', small, 'image/png', false, 'decodeTexels')).toMatchObject({
      ok: true,
      bitmapWidth: 16,
    });
    const junk = new Uint8Array(4096).map((_, i) => (i * 31) % 251);
    const bad = await decode('imageDecoder', junk, 'image/png', false, 'decodeTexels');
    expect(bad.ok).toBe(false);
    expect(bad.error).toContain('BAD_IMAGE');
  });
});
