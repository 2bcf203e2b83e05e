/**
 * Dynamic resolution for the demo game, as games do on weak machines: while frames come slowly it
 * draws fewer pixels (the canvas keeps its size on the page; the drawing buffer shrinks), and more
 * again once they come quickly. Where WebGL is software (no GPU: SwiftShader), the page also reads
 * every frame back to composite it, on its main thread — so a frame's cost grows with its pixels, and
 * a patch that arrives mid-frame waits for that frame before its texture can be set. Fewer pixels
 * keep the game playable there and a patch's wait short.
 */

/** The smallest fraction of the device's pixel ratio the game draws at. */
export const RENDER_SCALE_MIN = 0.4;
/** Frames slower than this (ms, smoothed: under 30 fps) lower the scale. */
export const SLOW_FRAME_MS = 1000 / 30;
/** Frames quicker than this (ms, smoothed: over 50 fps) raise it again. */
export const QUICK_FRAME_MS = 1000 / 50;
/** Each change multiplies (or divides) the scale by this. */
const STEP = 0.8;
/** The least time between two changes (ms): a change reallocates the drawing buffer. */
export const RENDER_SCALE_SETTLE_MS = 1000;

/** Decides the game's render scale from its frame intervals. */
export class RenderScale {
  private scale = 1;
  private smoothed = 0;
  private changedAt = -Infinity;

  /** The fraction of the device's pixel ratio to draw at, in [{@link RENDER_SCALE_MIN}, 1]. */
  get value(): number {
    return this.scale;
  }

  /** Feeds the interval (ms) of the frame at `now` (ms); returns the new scale when it changes, else null. */
  frame(intervalMs: number, now: number): number | null {
    if (!(intervalMs > 0)) return null;
    this.smoothed = this.smoothed === 0 ? intervalMs : this.smoothed * 0.9 + intervalMs * 0.1;
    if (now - this.changedAt < RENDER_SCALE_SETTLE_MS) return null;
    let next = this.scale;
    if (this.smoothed > SLOW_FRAME_MS) next = Math.max(RENDER_SCALE_MIN, this.scale * STEP);
    else if (this.smoothed < QUICK_FRAME_MS) next = Math.min(1, this.scale / STEP);
    if (Math.abs(next - this.scale) < 1e-9) return null;
    this.scale = next;
    this.changedAt = now;
    // Judge the new scale by its own frames.
    this.smoothed = 0;
    return next;
  }
}
