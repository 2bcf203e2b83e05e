/**
 * What the patch client's worker has to tell the page besides its calls — timeline marks made since,
 * the newest status snapshot — kept and sent **with the next call** to the page (a handler, an
 * event), or after {@link OUTBOX_DELAY_MS} when no call comes. Each message to the page is a task on
 * its main thread, and a busy page may draw a whole frame between two tasks: one message per step of
 * a release, not one per mark or status change, keeps a release from queueing behind frames of its
 * own making.
 */
import type { PatchStatus } from '../core/status.ts';

/** Longest a mark or a status change waits for a call to ride with (ms). */
export const OUTBOX_DELAY_MS = 50;

/** A status snapshot and the relay HTTP base URL connected to now. */
export interface StatusNews {
  readonly snapshot: PatchStatus;
  readonly server: string;
}

/** One delivery: marks (`[stage, seq, ms since the epoch]`), oldest first, and the newest status. */
export interface Mail {
  readonly marks: readonly (readonly [string, number, number])[];
  readonly status: StatusNews | null;
}

/** The worker's side: collects, and hands everything over once. */
export class Outbox {
  private marks: (readonly [string, number, number])[] = [];
  private status: StatusNews | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `post` sends a delivery on its own (the delay passed with no call to ride with). */
  constructor(
    private readonly post: (mail: Mail) => void,
    private readonly delayMs = OUTBOX_DELAY_MS,
  ) {}

  mark(stage: string, seq: number, at: number): void {
    this.marks.push([stage, seq, at]);
    this.schedule();
  }

  setStatus(news: StatusNews): void {
    this.status = news;
    this.schedule();
  }

  /** Everything kept so far (for a call about to go to the page), and nothing kept after. */
  take(): Mail {
    clearTimeout(this.timer);
    this.timer = undefined;
    const mail: Mail = { marks: this.marks, status: this.status };
    this.marks = [];
    this.status = null;
    return mail;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const mail = this.take();
      if (mail.marks.length > 0 || mail.status) this.post(mail);
    }, this.delayMs);
  }
}
