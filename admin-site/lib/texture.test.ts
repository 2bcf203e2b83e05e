import { describe, expect, it } from 'vitest';
import { sniffImageMime } from '../../publisher/content.ts';
import { checkTexture, formatBytes, TextureError, type Decoder } from './texture.ts';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
const WEBP = new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ');
const ok: Decoder = () => Promise.resolve({ width: 64, height: 32 });

describe('texture checks', () => {
  it('tells the type from the magic bytes', () => {
    expect(sniffImageMime(PNG)).toBe('image/png');
    expect(sniffImageMime(JPEG)).toBe('image/jpeg');
    expect(sniffImageMime(WEBP)).toBe('image/webp');
    expect(sniffImageMime(new TextEncoder().encode('GIF89a'))).toBeNull();
    expect(sniffImageMime(new TextEncoder().encode('<svg></svg>'))).toBeNull();
  });

  it('accepts a decodable image and reports its size', async () => {
    await expect(checkTexture(PNG, ok)).resolves.toMatchObject({ mime: 'image/png', width: 64, height: 32 });
  });

  it('refuses a non-image, an undecodable image and a huge one, in words', async () => {
    await expect(checkTexture(new TextEncoder().encode('hello'), ok)).rejects.toThrow(/not an image/);
    await expect(checkTexture(PNG, () => Promise.reject(new Error('x')))).rejects.toThrow(/damaged/);
    await expect(
      checkTexture(PNG, () => Promise.resolve({ width: 9000, height: 10 })),
    ).rejects.toBeInstanceOf(TextureError);
    await expect(checkTexture(new Uint8Array(), ok)).rejects.toThrow(/empty/);
  });

  it('formats sizes for people', () => {
    expect(formatBytes(812)).toBe('812 B');
    expect(formatBytes(14540)).toBe('14.2 KiB');
    expect(formatBytes(3.1 * 1024 * 1024)).toBe('3.10 MiB');
  });
});
