/**
 * Where a release's time goes, on the platform's performance timeline: a `performance.mark` named
 * `patchcast:<seq>:<stage>` as each stage of applying release `seq` ends, from the release arriving
 * to the `applied` event. DevTools shows them beside the page's own frames and tasks;
 * `npm run bench -- player` reads them to print where publish → applied goes. Only the marks of the
 * newest accepted release are kept (a page that runs for days doesn't collect them).
 */

/** The stages, in order. Slot handlers of the page may mark their own steps in between (`decoded`, …). */
export const Stage = {
  /** A release message arrived (relay or peer). */
  RECEIVED: 'received',
  /** Its signature, key and seq checked: it is being loaded. */
  ACCEPTED: 'accepted',
  /** Every blob it needs is here and verified. */
  FETCHED: 'fetched',
  /** Every slot's handler returned (decode, upload, trial calls…). */
  HANDLED: 'handled',
  /** On screen: the `shown` event dispatched (the demo page's `patchcast:applied`), the state moved on. */
  SHOWN: 'shown',
  /** The new state is in the cache (IndexedDB, files). */
  COMMITTED: 'committed',
  /** Acked, and the client's `applied` event dispatched. */
  APPLIED: 'applied',
} as const;

const PREFIX = 'patchcast:';
let newest = 0;
/** Where marks also go (the dedicated worker's: on to the page's timeline), if anywhere. */
let sink: ((stage: string, seq: number, at: number) => void) | null = null;

/**
 * Sends every mark made in this realm on to `to` as well, with its time since the epoch (ms,
 * fractional): the patch client's worker passes its marks to the page, whose timeline DevTools and
 * `npm run bench -- player` read ({@link markStageAt} there). Null stops it.
 */
export function forwardStages(to: ((stage: string, seq: number, at: number) => void) | null): void {
  sink = to;
}

/** Marks the end of `stage` for release `seq` (never throws: a platform without marks just has none). */
export function markStage(stage: string, seq: number): void {
  markStageAt(stage, seq);
}

/**
 * {@link markStage}, at `at` (ms since the epoch) rather than now: a mark made in another realm
 * (the patch client's worker), placed on this one's timeline when it arrives. A time before this
 * realm's time origin is placed at the origin (a timeline has no earlier time): never the case for
 * the page, which is older than the worker it starts, but the case for any `at` earlier than the
 * realm that places it — such as a test asking for "500 ms ago" in a process younger than that.
 */
export function markStageAt(stage: string, seq: number, at?: number): void {
  try {
    if (stage === Stage.ACCEPTED && seq > newest) {
      // Accepted, so `seq` is a real one (a candidate's seq may be anything): older marks go.
      newest = seq;
      // Each name cleared once (`clearMarks(name)` clears all its entries, and walks the whole
      // buffer each time: once per entry was quadratic in a process of a thousand players).
      const own = `${PREFIX}${seq}:`;
      const old = new Set<string>();
      for (const mark of performance.getEntriesByType('mark')) {
        if (mark.name.startsWith(PREFIX) && !mark.name.startsWith(own)) old.add(mark.name);
      }
      for (const name of old) performance.clearMarks(name);
    }
    const name = `${PREFIX}${seq}:${stage}`;
    if (at === undefined) {
      const mark = performance.mark(name);
      sink?.(stage, seq, performance.timeOrigin + mark.startTime);
    } else {
      performance.mark(name, { startTime: Math.max(0, at - performance.timeOrigin) });
    }
  } catch {
    // No User Timing here: nothing to mark.
  }
}

/** The seq a release candidate claims (0 when it names none): for a mark, never for a decision. */
export function claimedSeq(candidate: unknown): number {
  const release: unknown =
    typeof candidate === 'object' && candidate !== null ? Reflect.get(candidate, 'release') : null;
  const seq: unknown = typeof release === 'object' && release !== null ? Reflect.get(release, 'seq') : null;
  return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : 0;
}
