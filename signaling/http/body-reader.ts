/**
 * A request body read in parts, in order: so many bytes into one buffer, so many passed on piece by
 * piece (to be hashed and kept, or dropped), then its end. A bundle publish reads its head, then each
 * raw blob (`bundle-routes.ts`). The stream is paused while nobody reads: at most one piece of the
 * socket's is held here, the rest waits in the kernel.
 */
import type { IncomingMessage } from 'node:http';

export class BodyReader {
  private held: Buffer | null = null;
  private ended = false;
  private waiting: (() => void) | null = null;
  private readonly onData = (piece: Buffer) => {
    this.held = this.held ? Buffer.concat([this.held, piece]) : piece;
    this.req.pause();
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
    req.pause();
  }

  /** Passes the next `n` bytes to `take`, piece by piece; false when the body ended first. */
  async stream(n: number, take: (piece: Buffer) => void): Promise<boolean> {
    let left = n;
    while (left > 0) {
      const piece = await this.next();
      if (!piece) return false;
      if (piece.length > left) this.held = piece.subarray(left);
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
    if (piece) this.held = piece;
    return !piece && this.req.complete;
  }

  /** Stops reading: whatever is left of the body is dropped as it comes (the connection stays usable). */
  release(): void {
    this.req.off('data', this.onData);
    this.req.off('end', this.onEnd);
    this.req.off('aborted', this.onEnd);
    this.req.off('close', this.onEnd);
    this.held = null;
    this.req.resume();
  }

  private async next(): Promise<Buffer | null> {
    for (;;) {
      if (this.held && this.held.length > 0) {
        const piece = this.held;
        this.held = null;
        return piece;
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        this.req.resume();
      });
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }
}
