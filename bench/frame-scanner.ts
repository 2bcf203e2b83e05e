/**
 * The benchmarks' light frame reader: it splits a stream of `[4-byte length][body]` frames, hands
 * small bodies over whole and big ones as their first 32 bytes only (enough to tell a chunk from a
 * `hot_update`), so that counting gigabytes costs the readers next to nothing.
 */

/** Bodies up to this size are handed over whole. */
export const SMALL = 64 * 1024;

/** Splits a byte stream into frames without buffering big bodies. */
export class FrameScanner {
  private header = Buffer.alloc(4);
  private headerHave = 0;
  private remaining = -1;
  private head: Buffer[] = [];
  private headLength = 0;
  private small: Buffer[] | null = null;

  constructor(private readonly onFrame: (prefix: Buffer, body: Buffer | null) => void) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining < 0) {
        const take = Math.min(4 - this.headerHave, chunk.length - at);
        chunk.copy(this.header, this.headerHave, at, at + take);
        this.headerHave += take;
        at += take;
        if (this.headerHave < 4) return;
        this.remaining = this.header.readUInt32BE(0);
        this.headerHave = 0;
        this.head = [];
        this.headLength = 0;
        this.small = this.remaining <= SMALL ? [] : null;
        if (this.remaining === 0) this.finish();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - at);
      const piece = chunk.subarray(at, at + take);
      if (this.small) this.small.push(piece);
      if (this.headLength < 32) {
        this.head.push(piece.subarray(0, 32 - this.headLength));
        this.headLength += Math.min(piece.length, 32 - this.headLength);
      }
      this.remaining -= take;
      at += take;
      if (this.remaining === 0) this.finish();
    }
  }

  private finish(): void {
    const prefix = Buffer.concat(this.head);
    const body = this.small ? Buffer.concat(this.small) : null;
    this.remaining = -1;
    this.small = null;
    this.onFrame(prefix, body);
  }
}
