/**
 * A seed background's base64, made once — when the texture is uploaded, before the release naming it
 * is published — and kept with free bytes on both sides, so the first frame that carries it (the
 * publish's `hot_update`) is written around it in place. A 5 MB image is a 6.7 MB string: encoding it
 * costs ~25 ms, and copying it into a fresh frame as much again (the new memory's page faults), both
 * between the publish and the first byte written. Later frames (an `initial_config` for a client that
 * joins) copy it.
 */
import { ByteLru } from '../store/lru.ts';
import type { Payload } from './outbox.ts';
import { jsonAroundBase64, jsonWithBase64 } from './payloads.ts';

/** Free bytes on each side of the base64, for a frame's header and the JSON around the image. */
const MARGIN = 4096;

/** One image's base64 (ASCII bytes). */
export class SeedImage {
  /** The base64 of the image. */
  readonly base64: Buffer;
  /** The buffer holding {@link base64} with room around it, until a frame is written into it. */
  private room: Buffer | null;

  constructor(bytes: Uint8Array) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
    const room = Buffer.allocUnsafe(MARGIN + text.length + MARGIN);
    room.write(text, MARGIN, 'latin1');
    this.base64 = room.subarray(MARGIN, MARGIN + text.length);
    this.room = room;
  }

  /** The frame of `message` (which has a `BASE64_SLOT`) with this image: the first in place. */
  frame(message: object): Payload {
    const room = this.room;
    const inPlace = room && jsonAroundBase64(message, room, MARGIN, this.base64.length);
    if (!inPlace) return jsonWithBase64(message, this.base64);
    // The frame owns the room's margins now; the base64 between them is never written again.
    this.room = null;
    return inPlace;
  }
}

/** Seed images by blob, bounded by their bytes. */
export class SeedImages {
  private readonly lru: ByteLru<string, SeedImage>;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.lru = new ByteLru(maxBytes, (image) => image.base64.length);
  }

  /** True when the image of blob `sha256` is made. */
  has(sha256: string): boolean {
    return this.lru.peek(sha256) !== undefined;
  }

  /** The image of blob `sha256` (whose bytes are `bytes`), made once. */
  of(sha256: string, bytes: Uint8Array): SeedImage {
    return this.lru.obtain(sha256, () => new SeedImage(bytes));
  }
}
