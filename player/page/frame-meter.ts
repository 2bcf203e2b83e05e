/**
 * Frame times of the page's loop: the frame rate for the HUD and the longest frame for tests. The
 * rate is frames counted over windows of {@link FPS_WINDOW_MS}, so the HUD's figure changes at most
 * that often: each change is a DOM update, a style, layout and paint of the HUD over the game.
 */
export const FPS_WINDOW_MS = 500;

export class FrameMeter {
  private last = 0;
  private longest = 0;
  private frames = 0;
  private windowStart = 0;
  private windowFrames = 0;
  private rate = 0;

  /** Records a frame at time `now` (ms); returns the seconds since the previous one. */
  tick(now: number): number {
    const dt = this.last === 0 ? 0 : now - this.last;
    this.last = now;
    if (this.windowStart === 0) this.windowStart = now;
    if (dt > 0) {
      this.frames++;
      this.longest = Math.max(this.longest, dt);
      this.windowFrames++;
      const span = now - this.windowStart;
      if (span >= FPS_WINDOW_MS) {
        this.rate = (this.windowFrames * 1000) / span;
        this.windowStart = now;
        this.windowFrames = 0;
      }
    }
    return dt / 1000;
  }

  /** Frames per second over the last whole window (0 before the first one ends). */
  get fps(): number {
    return this.rate;
  }

  /** Frames and the longest frame (ms) since the last reset. */
  read(reset = false): { readonly frames: number; readonly longestMs: number } {
    const out = { frames: this.frames, longestMs: this.longest };
    if (reset) {
      this.frames = 0;
      this.longest = 0;
    }
    return out;
  }
}
