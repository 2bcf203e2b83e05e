/**
 * How many rooms each address created on an open relay, kept in the data dir (`open-rooms.json`) so
 * that a restart does not hand every address a fresh quota. Read once at start (a damaged file is
 * reported and counts as empty: the quota is a brake, not a record); written atomically after each
 * room created, one write at a time.
 */
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { writeFileAtomic } from '../store/atomic.ts';

const CountsFileSchema = v.object({
  format: v.literal(1),
  created: v.record(v.pipe(v.string(), v.maxLength(64)), v.pipe(v.number(), v.integer(), v.minValue(0))),
});

/** Rooms created per address, persisted when given a file. */
export class OpenRoomCounts {
  private readonly created = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string | null,
    log: (message: string) => void = () => {},
  ) {
    if (file === null) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // none yet
    }
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // reported below
    }
    const parsed = v.safeParse(CountsFileSchema, json);
    if (!parsed.success) {
      log(`${file} is damaged: open-room counts start from zero`);
      return;
    }
    for (const [address, n] of Object.entries(parsed.output.created)) this.created.set(address, n);
  }

  /** Rooms `address` created. */
  count(address: string): number {
    return this.created.get(address) ?? 0;
  }

  /** One more room created by `address` (written to the file in the background, in order). */
  add(address: string): void {
    this.created.set(address, this.count(address) + 1);
    const file = this.file;
    if (file === null) return;
    const body = JSON.stringify({ format: 1, created: Object.fromEntries(this.created) });
    this.writing = this.writing.then(() => writeFileAtomic(file, body).catch(() => {}));
  }

  /** Resolves when every count so far is on disk (tests, shutdown). */
  flushed(): Promise<void> {
    return this.writing;
  }
}
