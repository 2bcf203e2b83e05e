/**
 * The per-room quota of releases kept: after each publish (and once at start), a room's history
 * beyond its newest `maxReleases` is pruned — release files deleted, the room's last seq kept — and
 * then every blob that no kept release names is collected (after the upload window, so an upload
 * awaited by a publish in flight is never taken). Works through the store's own functions
 * (`forgetReleases`, `collectGarbage`).
 */
import type { RelayStore } from './store.ts';

/** Releases a room keeps by default (`serve --max-releases-per-room`). */
export const DEFAULT_MAX_RELEASES_PER_ROOM = 200;

/** Options of {@link HistoryPruner}. */
export interface PruneOptions {
  /** Releases one room keeps (the newest). */
  readonly maxReleases: number;
  /** A blob no release names is deleted once its file is this old (the upload window). */
  readonly blobMinAgeMs: number;
  readonly log: (message: string) => void;
}

/** Prunes rooms' histories to their quota; one prune at a time. */
export class HistoryPruner {
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: RelayStore,
    private readonly options: PruneOptions,
  ) {}

  /** Prunes `room` (queued behind any prune under way); resolves with what went. */
  prune(room: string): Promise<{ releases: number; blobs: number }> {
    const next = this.running.then(() => this.pruneNow(room));
    this.running = next.then(
      () => {},
      () => {},
    );
    return next;
  }

  /** Prunes every room (at start). */
  async pruneAll(): Promise<void> {
    for (const state of [...this.store.rooms()]) await this.prune(state.room).catch(() => null);
  }

  private async pruneNow(room: string): Promise<{ releases: number; blobs: number }> {
    const history = this.store.room(room)?.history ?? [];
    const excess = history.length - this.options.maxReleases;
    if (excess <= 0) return { releases: 0, blobs: 0 };
    const seqs = new Set(history.slice(0, excess).map((s) => s.release.seq));
    const releases = await this.store.forgetReleases(room, seqs);
    let blobs = 0;
    if (releases > 0) {
      // Twice: the first call may join a sweep that began before these blobs lost their names.
      blobs += await this.store.collectGarbage(this.options.blobMinAgeMs);
      blobs += await this.store.collectGarbage(this.options.blobMinAgeMs);
    }
    if (releases > 0) {
      this.options.log(
        `room ${room}: pruned ${releases} old release(s) over its quota of ${this.options.maxReleases}; ` +
          `${blobs} blob(s) no kept release names collected`,
      );
    }
    return { releases, blobs };
  }
}
