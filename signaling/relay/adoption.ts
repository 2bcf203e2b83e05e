/**
 * The relay's adoption book: per room, per release, what each player said of each slot (its last ack
 * for that release: applied, failed with what it runs instead, or skipped). It outlives the roster —
 * a player that left, or a release that was superseded, keeps its counts — and the relay's restarts
 * (one file per release, written a moment after a change: `store/adoption-files.ts`).
 *
 * Only players are counted: the hub never records an admin page or a tool. From the reports and the
 * players connected now, {@link AdoptionBook.report} counts per slot applied / failed / skipped /
 * pending, and the players that applied every slot meant for them.
 */
import {
  AckStatus,
  Transport,
  type HeldSlot,
  type Roster,
  type ReleaseAdoption,
  type RunningInstead,
  type SignedRelease,
  type SlotAdoption,
} from '../../protocol/index.ts';
import {
  loadAdoptionFiles,
  removeAdoptionFile,
  saveAdoptionFile,
  type AdoptionFile,
  type SlotReport,
} from '../store/adoption-files.ts';

/** Players one release keeps reports of; past it, new players of that release are not recorded. */
export const MAX_ADOPTION_CLIENTS = 20_000;
/** How long a changed release's reports wait before they are written (changes in between share a write). */
export const ADOPTION_WRITE_DELAY_MS = 250;

type Reports = Map<string, Map<string, SlotReport>>;

/** A player connected now: its client id and the seq it holds. */
export interface ConnectedPlayer {
  readonly clientId: string;
  readonly seq: number;
}

/** Where the book keeps its files, and who hears of changes. */
export interface AdoptionBookOptions {
  /** The data dir; null keeps everything in memory (tests of the relay core). */
  readonly dataDir: string | null;
  readonly log?: (message: string) => void;
  readonly now?: () => number;
}

/**
 * The players of a roster, for the counts: clients of our protocol in the player role. Admin pages
 * and tools are not players; seed-protocol clients ack other slots under other rules.
 */
export function connectedPlayers(roster: Roster): ConnectedPlayer[] {
  return roster.clients
    .filter((c) => c.role === 'player' && c.transport !== Transport.seedTcp)
    .map((c) => ({ clientId: c.clientId, seq: c.seq }));
}

/** True when players of our protocol are not meant to run a slot (a python script is for seed clients). */
export function notForPlayers(signed: SignedRelease, slot: string): boolean {
  const s = signed.release.slots[slot];
  return s !== undefined && s.kind === 'script' && s.lang === 'python';
}

/** See the file comment. */
export class AdoptionBook {
  private readonly rooms = new Map<string, Map<number, Reports>>();
  private readonly dirty = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(room: string) => void>();
  private readonly log: (message: string) => void;
  private readonly now: () => number;

  constructor(private readonly options: AdoptionBookOptions) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? Date.now;
  }

  /** Loads the stored reports (merged under any recorded since). */
  async load(): Promise<void> {
    if (this.options.dataDir === null) return;
    for (const file of await loadAdoptionFiles(this.options.dataDir, this.log)) {
      const reports = this.reportsOf(file.room, file.seq);
      for (const [client, slots] of Object.entries(file.clients)) {
        const mine = reports.get(client) ?? new Map<string, SlotReport>();
        for (const [slot, report] of Object.entries(slots)) if (!mine.has(slot)) mine.set(slot, report);
        reports.set(client, mine);
      }
    }
  }

  /** Tells `listener` the room of every change; returns its removal. */
  onChange(listener: (room: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private reportsOf(room: string, seq: number): Reports {
    let byRelease = this.rooms.get(room);
    if (!byRelease) this.rooms.set(room, (byRelease = new Map()));
    let reports = byRelease.get(seq);
    if (!reports) byRelease.set(seq, (reports = new Map()));
    return reports;
  }

  /** Records a player's ack of one slot of release `seq` (the caller checked that the release names it). */
  ack(
    room: string,
    seq: number,
    clientId: string,
    slot: string,
    ack: {
      readonly status: AckStatus;
      readonly version: string;
      readonly sha256?: string;
      readonly error?: string;
      readonly running?: HeldSlot | null;
    },
  ): void {
    const reports = this.reportsOf(room, seq);
    let mine = reports.get(clientId);
    if (!mine) {
      if (reports.size >= MAX_ADOPTION_CLIENTS) return;
      reports.set(clientId, (mine = new Map()));
    }
    mine.set(slot, {
      status: ack.status,
      version: ack.version,
      ...(ack.sha256 === undefined ? {} : { sha256: ack.sha256 }),
      ...(ack.error === undefined ? {} : { error: ack.error }),
      ...(ack.running === undefined ? {} : { running: ack.running }),
      at: this.now(),
    });
    this.changed(room, seq);
  }

  /**
   * A player said in its hello that it holds release `signed` with these slots: those that match the
   * release and that it said nothing of yet count as applied (it applied them before this relay's
   * records began, or before a restart lost the last moment of them).
   */
  held(signed: SignedRelease, clientId: string, slots: Readonly<Record<string, HeldSlot>>): void {
    const { room, seq } = signed.release;
    const reports = this.reportsOf(room, seq);
    const mine = reports.get(clientId) ?? new Map<string, SlotReport>();
    let added = false;
    for (const [name, slot] of Object.entries(signed.release.slots)) {
      const held = slots[name];
      if (mine.has(name) || held?.sha256 !== slot.sha256) continue;
      mine.set(name, {
        status: AckStatus.applied,
        version: slot.version,
        sha256: slot.sha256,
        at: this.now(),
      });
      added = true;
    }
    if (!added || (!reports.has(clientId) && reports.size >= MAX_ADOPTION_CLIENTS)) return;
    reports.set(clientId, mine);
    this.changed(room, seq);
  }

  /** The counts of one release; `connected` are the room's players now (pending only counts them). */
  count(signed: SignedRelease, connected: readonly ConnectedPlayer[], newest: boolean): ReleaseAdoption {
    const { room, seq, version, createdAt } = signed.release;
    const reports = this.rooms.get(room)?.get(seq) ?? new Map<string, Map<string, SlotReport>>();
    const names = Object.keys(signed.release.slots);
    const slots: Record<string, SlotAdoption> = {};
    const running = new Map<string, Map<string, RunningInstead>>();
    for (const name of names) {
      slots[name] = { applied: 0, failed: 0, skipped: 0, pending: 0, running: [] };
      running.set(name, new Map());
    }
    const clients = new Set(reports.keys());
    // Players still on an older release are pending on the newest one (it is on its way to them).
    if (newest) for (const p of connected) if (p.seq <= seq) clients.add(p.clientId);
    let complete = 0;
    let failing = 0;
    for (const client of clients) {
      const mine = reports.get(client);
      let all = true;
      let failed = false;
      for (const name of names) {
        const counts = slots[name]!;
        const report = mine?.get(name);
        if (!report) {
          counts.pending++;
          all = false;
          continue;
        }
        counts[report.status]++;
        if (report.status === AckStatus.failed) {
          failed = true;
          const instead = report.running;
          const key = instead === undefined ? '?' : (instead?.sha256 ?? '');
          const byContent = running.get(name)!;
          const row = byContent.get(key) ?? {
            version: instead?.version ?? null,
            ...(instead ? { sha256: instead.sha256 } : {}),
            count: 0,
          };
          byContent.set(key, { ...row, count: row.count + 1 });
        }
        if (
          report.status !== AckStatus.applied &&
          !(report.status === 'skipped' && notForPlayers(signed, name))
        )
          all = false;
      }
      if (all) complete++;
      if (failed) failing++;
    }
    for (const name of names) {
      slots[name] = {
        ...slots[name]!,
        running: [...running.get(name)!.values()].sort((a, b) => b.count - a.count),
      };
    }
    return { seq, version, createdAt, players: clients.size, complete, failing, slots };
  }

  /**
   * Exposure over several releases (a guarded rollout's steps): each player's last word on `slots`
   * in the highest of `seqs` it spoke of. Exposed: it applied or failed one of them; failing: failed one.
   */
  exposure(
    room: string,
    seqs: readonly number[],
    slots: readonly string[],
  ): { exposed: number; failing: number } {
    const last = new Map<string, Map<string, SlotReport>>();
    for (const seq of [...seqs].sort((a, b) => a - b)) {
      for (const [client, mine] of this.rooms.get(room)?.get(seq) ?? []) {
        const merged = new Map(last.get(client) ?? []);
        for (const slot of slots) {
          const report = mine.get(slot);
          if (report) merged.set(slot, report);
        }
        last.set(client, merged);
      }
    }
    let exposed = 0;
    let failing = 0;
    for (const mine of last.values()) {
      const said = [...mine.values()];
      if (said.some((r) => r.status === AckStatus.failed)) failing++;
      if (said.some((r) => r.status !== AckStatus.skipped)) exposed++;
    }
    return { exposed, failing };
  }

  /** Forgets a release's reports, and its file (the release was pruned). */
  async forget(room: string, seq: number): Promise<void> {
    this.rooms.get(room)?.delete(seq);
    this.dirty.delete(`${room}\u0000${seq}`);
    if (this.options.dataDir !== null) await removeAdoptionFile(this.options.dataDir, room, seq);
  }

  /** Writes what changed now (the server's close; tests). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const keys = [...this.dirty];
    this.dirty.clear();
    const dataDir = this.options.dataDir;
    if (dataDir === null) return;
    this.writing = this.writing.then(async () => {
      for (const key of keys) {
        const [room, seqText] = key.split('\u0000') as [string, string];
        const file = this.fileOf(room, Number(seqText));
        await saveAdoptionFile(dataDir, file).catch((error: unknown) =>
          this.log(`could not write the adoption counts of ${room} seq ${seqText}: ${String(error)}`),
        );
      }
    });
    await this.writing;
  }

  private fileOf(room: string, seq: number): AdoptionFile {
    const clients: AdoptionFile['clients'] = {};
    for (const [client, mine] of this.rooms.get(room)?.get(seq) ?? [])
      clients[client] = Object.fromEntries(mine);
    return { format: 1, room, seq, clients };
  }

  private changed(room: string, seq: number): void {
    this.dirty.add(`${room}\u0000${seq}`);
    this.timer ??= setTimeout(() => void this.flush(), ADOPTION_WRITE_DELAY_MS);
    this.timer.unref?.();
    for (const listener of this.listeners) listener(room);
  }
}
