/** Frame times of the page's loop: a smoothed fps for the HUD and the longest frame for tests. */
export class FrameMeter {
  private last = 0;
  private smoothed = 0;
  private longest = 0;
  private frames = 0;

  /** Records a frame at time `now` (ms); returns the seconds since the previous one. */
  tick(now: number): number {
    const dt = this.last === 0 ? 0 : now - this.last;
    this.last = now;
    if (dt > 0) {
      this.frames++;
      this.longest = Math.max(this.longest, dt);
      this.smoothed = this.smoothed === 0 ? dt : this.smoothed * 0.9 + dt * 0.1;
    }
    return dt / 1000;
  }

  /** Frames per second, smoothed. */
  get fps(): number {
    return this.smoothed > 0 ? 1000 / this.smoothed : 0;
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
