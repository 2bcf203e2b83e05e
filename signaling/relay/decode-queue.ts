/**
 * Image decodes, one at a time, each with a deadline. A decode runs on libuv's thread pool (sharp),
 * which the relay's file reads and writes share: with one decode at a time at most one of the pool's
 * threads is busy decoding, and the others stay free for I/O whatever publishers send.
 */
import sharp from 'sharp';

// libvips would otherwise start one worker thread per core for each image.
sharp.concurrency(1);

/** Thrown (as a rejection) when a decode passes its deadline. */
export class DecodeTimeout extends Error {
  constructor(ms: number) {
    super(`decode took longer than ${ms} ms`);
    this.name = 'DecodeTimeout';
  }
}

/** A queue of decodes with concurrency 1. */
export class DecodeQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(
    /** Deadline of one decode (its wait in the queue not counted). */
    readonly timeoutMs: number,
  ) {}

  /** Decodes waiting or running. */
  get depth(): number {
    return this.waiting;
  }

  /**
   * Runs `task` after every earlier one; it is given the deadline in whole seconds (for sharp) and a
   * signal that aborts at the deadline (a task that can stop, stops: the next one runs alone).
   */
  run<T>(task: (timeoutSeconds: number, signal: AbortSignal) => Promise<T>): Promise<T> {
    this.waiting += 1;
    const start = () => {
      let timer: NodeJS.Timeout | undefined;
      const abort = new AbortController();
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abort.abort();
          reject(new DecodeTimeout(this.timeoutMs));
        }, this.timeoutMs);
      });
      const seconds = Math.max(1, Math.ceil(this.timeoutMs / 1000));
      return Promise.race([task(seconds, abort.signal), deadline]).finally(() => {
        clearTimeout(timer);
        this.waiting -= 1;
      });
    };
    const run = this.tail.then(start, start);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
