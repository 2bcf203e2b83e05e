/**
 * The benchmarks' light frame reader: it splits a stream of `[4-byte length][body]` frames, hands
 * small bodies over whole (with `jsonOnly`, small JSON bodies only) and every other body as its first
 * 32 bytes (enough to tell a chunk from a `hot_update`), so that counting gigabytes costs the
 * readers next to nothing.
 *
 * It keeps no reference to the buffers it is pushed: the prefix is copied out (32 bytes), and so are
 * the pieces of a small body. Holding a view into a 64 KiB read until its frame ends kept one read
 * buffer alive per socket — with 500 sockets, tens of MB promoted to the old generation and
 * collected again and again — and made the readers of relay runs slower than those of the bare
 * baselines (which only count bytes) for reasons that had nothing to do with the server.
 */

/** Bodies up to this size are handed over whole. */
export const SMALL = 64 * 1024;

/** The prefix handed over for every frame. */
const PREFIX = 32;

/** The first byte of a JSON body (`{`). */
const JSON_OPEN = 0x7b;

/** Splits a byte stream into frames without buffering big bodies. */
export class FrameScanner {
  private readonly header = Buffer.alloc(4);
  private headerHave = 0;
  private remaining = -1;
  private readonly head = Buffer.alloc(PREFIX);
  private headLength = 0;
  /** The body's pieces when it is handed over whole (decided at its first byte), else null. */
  private small: Buffer[] | null = null;
  private atBodyStart = false;

  /**
   * `onFrame(prefix, body)`: `prefix` (the body's first ≤ 32 bytes) is valid only during the call;
   * `body` is the whole body of a small frame, else null. `jsonOnly`: only of a small JSON frame (a
   * reader that counts binary chunks by their prefix copies none of them).
   */
  constructor(
    private readonly onFrame: (prefix: Buffer, body: Buffer | null) => void,
    private readonly jsonOnly = false,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining < 0) {
        const take = Math.min(4 - this.headerHave, chunk.length - at);
        for (let i = 0; i < take; i++) this.header[this.headerHave + i] = chunk[at + i]!;
        this.headerHave += take;
        at += take;
        if (this.headerHave < 4) return;
        this.remaining = this.header.readUInt32BE(0);
        this.headerHave = 0;
        this.headLength = 0;
        this.small = null;
        this.atBodyStart = true;
        if (this.remaining === 0) this.finish();
        continue;
      }
      if (this.atBodyStart) {
        this.atBodyStart = false;
        if (this.remaining <= SMALL && (!this.jsonOnly || chunk[at] === JSON_OPEN)) this.small = [];
      }
      const take = Math.min(this.remaining, chunk.length - at);
      if (this.small) this.small.push(Buffer.from(chunk.subarray(at, at + take)));
      if (this.headLength < PREFIX) {
        const copy = Math.min(take, PREFIX - this.headLength);
        chunk.copy(this.head, this.headLength, at, at + copy);
        this.headLength += copy;
      }
      this.remaining -= take;
      at += take;
      if (this.remaining === 0) this.finish();
    }
  }

  private finish(): void {
    const prefix = this.head.subarray(0, this.headLength);
    const body = this.small ? Buffer.concat(this.small) : null;
    this.remaining = -1;
    this.small = null;
    this.onFrame(prefix, body);
  }
}
