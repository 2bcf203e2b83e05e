import { describe, expect, it } from 'vitest';
import { BASE64_SLOT, jsonWithBase64 } from './payloads.ts';
import { SeedImage, SeedImages } from './seed-image.ts';

const bytes = new Uint8Array(Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 251));
const message = (version: string) => ({
  type: 'hot_update',
  update_type: 'background',
  config: { version, background_image: BASE64_SLOT, enabled: true },
  timestamp: 1.5,
});
const decode = (frame: Uint8Array) => {
  const body = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  expect(body.readUInt32BE(0)).toBe(frame.length - 4);
  return JSON.parse(body.subarray(4).toString('utf8')) as {
    config: { background_image: string; version: string };
  };
};

describe('SeedImage', () => {
  it('writes its first frame around the base64 in place, and copies it into later ones', () => {
    const image = new SeedImage(bytes);
    const first = image.frame(message('2 – ü')).frame;
    // A view of the image's own buffer: no 6.7 MB copy for a 5 MB image.
    expect(first.buffer).toBe(image.base64.buffer);
    expect(Buffer.from(first).equals(Buffer.from(jsonWithBase64(message('2 – ü'), image.base64).frame))).toBe(
      true,
    );
    const second = image.frame(message('3')).frame;
    expect(second.buffer).not.toBe(image.base64.buffer);
    // The later frame left the first one as it was.
    expect(decode(first).config.version).toBe('2 – ü');
    expect(decode(second).config.version).toBe('3');
    for (const frame of [first, second]) {
      expect(Buffer.from(decode(frame).config.background_image, 'base64').equals(Buffer.from(bytes))).toBe(
        true,
      );
    }
  });

  it('copies when the JSON around the image does not fit in its margins', () => {
    const image = new SeedImage(bytes);
    const long = message('v'.repeat(10_000));
    const frame = image.frame(long).frame;
    expect(frame.buffer).not.toBe(image.base64.buffer);
    expect(decode(frame).config.version).toHaveLength(10_000);
    // The room is still free for the next frame.
    expect(image.frame(message('4')).frame.buffer).toBe(image.base64.buffer);
  });

  it('makes each image once', () => {
    const images = new SeedImages();
    expect(images.has('a')).toBe(false);
    const image = images.of('a', bytes);
    expect(images.of('a', new Uint8Array(1))).toBe(image);
    expect(images.has('a')).toBe(true);
  });
});
