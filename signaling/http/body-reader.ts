/**
 * A request body read in parts, in order: so many bytes into one buffer, so many passed on piece by
 * piece (to be hashed and kept, or dropped), then its end. A bundle publish reads its head, then each
 * raw blob (`bundle-publish.ts`). Up to {@link BODY_READ_AHEAD_BYTES} are read ahead of the caller
 * (the socket is paused past that: the rest waits in the kernel), so that the next bytes are here
 * while the caller hashes, checks or stores the last.
 */
import type { IncomingMessage } from 'node:http';

/** Bytes held before the socket is paused (read ahead while the caller hashes or checks). */
export const BODY_READ_AHEAD_BYTES = 1024 * 1024;

export class BodyReader {
  private readonly pieces: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private waiting: (() => void) | null = null;
  private readonly onData = (piece: Buffer) => {
    this.pieces.push(piece);
    this.queued += piece.length;
    if (this.queued >= BODY_READ_AHEAD_BYTES) this.req.pause();
    this.wake();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.wake();
  };

  constructor(private readonly req: IncomingMessage) {
    req.on('data', this.onData);
    req.on('end', this.onEnd);
    req.on('aborted', this.onEnd);
    req.on('close', this.onEnd);
  }

  /** Passes the next `n` bytes to `take`, piece by piece; false when the body ended first. */
  async stream(n: number, take: (piece: Buffer) => void): Promise<boolean> {
    let left = n;
    while (left > 0) {
      const piece = await this.next();
      if (!piece) return false;
      if (piece.length > left) this.unshift(piece.subarray(left));
      const used = piece.length > left ? piece.subarray(0, left) : piece;
      take(used);
      left -= used.length;
    }
    return true;
  }

  /** The next `n` bytes in one buffer, or null when the body ended first. */
  async exactly(n: number): Promise<Buffer | null> {
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    const whole = await this.stream(n, (piece) => {
      piece.copy(out, at);
      at += piece.length;
    });
    return whole ? out : null;
  }

  /** True when the body has no byte left (and ended whole). */
  async atEnd(): Promise<boolean> {
    const piece = await this.next();
    if (piece) this.unshift(piece);
    return !piece && this.req.complete;
  }

  /** Stops reading: whatever is left of the body is dropped as it comes (the connection stays usable). */
  release(): void {
    this.req.off('data', this.onData);
    this.req.off('end', this.onEnd);
    this.req.off('aborted', this.onEnd);
    this.req.off('close', this.onEnd);
    this.pieces.length = 0;
    this.queued = 0;
    this.req.resume();
  }

  private async next(): Promise<Buffer | null> {
    for (;;) {
      const piece = this.pieces.shift();
      if (piece) {
        this.queued -= piece.length;
        if (this.queued < BODY_READ_AHEAD_BYTES) this.req.resume();
        if (piece.length > 0) return piece;
        continue;
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }

  /** Puts the unread rest of a piece back in front. */
  private unshift(piece: Buffer): void {
    this.pieces.unshift(piece);
    this.queued += piece.length;
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }
}
