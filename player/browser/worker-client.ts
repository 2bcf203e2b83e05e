/**
 * The page's handle on the patch client in its dedicated worker (`client.worker.ts`): the same
 * surface the page used of a `PatchClient` — a synchronous `status()` and `currentServer()` (from the
 * snapshots the worker pushes), the client's events as `CustomEvent`s, `start`, `reportFailure` — and
 * the swarm plugged in across the boundary (`swarm-bridge.ts`). Timeline marks made in the worker are
 * placed on the page's timeline at the time they were made (`markStageAt`), so DevTools and
 * `npm run bench -- player` see one timeline.
 */
import { proxy, transfer, wrap, type Remote } from 'comlink';
import type { ApplyOutcome, SlotChange } from '../core/apply.ts';
import { statusOnScreen, type PatchStatus } from '../core/status.ts';
import { markStage, markStageAt, Stage } from '../core/timeline.ts';
import type { PlayerSwarm, SwarmClient } from '../swarm/player-swarm.ts';
import type { ClientWorkerApi, PageHandlers, PageSide, WorkerClientInit } from './client-bridge.ts';
import type { Mail } from './outbox.ts';
import { pageSwarm, type PageSwarm, type SwarmView } from './swarm-bridge.ts';

/** Options of {@link WorkerPatchClient}. */
export interface WorkerPatchClientOptions extends Omit<WorkerClientInit, 'swarm'> {
  /** The started worker (`new Worker(url, { type: 'module' })` of `client.worker.ts`). */
  readonly worker: Worker;
  readonly handlers: PageHandlers;
  /** The page's swarm, if it runs one. */
  readonly swarm?: PlayerSwarm;
  /** The status until the worker's first snapshot. */
  readonly initial: PatchStatus;
}

/**
 * The patch client in a worker, seen from the page. Events: `status`, `shown`, `applied`, `refused`,
 * `connected`, `disconnected` (as the client's, see `PatchClient`).
 */
export class WorkerPatchClient extends EventTarget {
  private readonly remote: Remote<ClientWorkerApi>;
  private readonly options: WorkerPatchClientOptions;
  private snapshot: PatchStatus;
  private server: string;
  private readonly swarmSide: { readonly side: PageSwarm; view(): SwarmView } | null;
  /** The newest release the page said is on screen itself (`shownAfter`). */
  private shownSeq = 0;

  constructor(options: WorkerPatchClientOptions) {
    super();
    this.options = options;
    this.snapshot = options.initial;
    this.server = options.server;
    this.remote = wrap<ClientWorkerApi>(options.worker);
    const swarm = options.swarm;
    this.swarmSide = swarm
      ? pageSwarm(
          swarm,
          this.remote,
          () => this.snapshot.bytesFromRelay,
          () => this.pushView(),
        )
      : null;
    if (swarm) {
      swarm.bind(this.swarmClient());
      swarm.addEventListener('change', () => this.pushView());
    }
  }

  /** Boots the client in the worker from IndexedDB and dials the relay; resolves once the cache is applied. */
  async start(): Promise<void> {
    const { worker: _worker, handlers, swarm: _swarm, initial: _initial, ...init } = this.options;
    const read = (mail: Mail) => this.read(mail);
    // Each handler's outcome passes `shownAfter` in the handler's own task (an `await` of a value
    // resumes in a microtask of it): no frame can come between applying and saying so.
    const side: PageSide = {
      script: async (change, source, mail) => (
        read(mail),
        this.shownAfter(change, await handlers.script(change, source))
      ),
      texture: async (change, decoded, mail) => (
        read(mail),
        this.shownAfter(change, await handlers.texture(change, decoded))
      ),
      config: async (change, value, mail) => (
        read(mail),
        this.shownAfter(change, await handlers.config(change, value))
      ),
      removed: async (slot, mail) => (read(mail), handlers.removed(slot)),
      event: (type, detail, mail) => {
        read(mail);
        // (Said already by the last handler's task: `shownAfter`.)
        if (type === 'shown' && 'seq' in detail && detail.seq <= this.shownSeq) return;
        this.dispatchEvent(new CustomEvent(type, { detail }));
      },
      post: read,
      ...this.swarmSide?.side,
    };
    const view = this.swarmSide?.view();
    await this.remote.start({ ...init, ...(view ? { swarm: view } : {}) }, proxy(side));
  }

  /**
   * The last handler of a release applied it (`change.shownIfApplied`: nothing else of the release
   * is left to apply): the release is on screen now, so `shown` fires here, in the handler's task —
   * the client's own `shown`, a message from the worker, would wait for the page's next turn (a
   * whole frame on a busy page) and is dropped when it comes. The snapshot moves on as the client's
   * state does (its seq and slots; the worker's next snapshot says the rest).
   */
  private shownAfter(change: SlotChange, outcome: ApplyOutcome): ApplyOutcome {
    const detail = change.shownIfApplied;
    if (!detail || outcome.status !== 'applied' || detail.seq <= this.shownSeq) return outcome;
    this.shownSeq = detail.seq;
    this.snapshot = statusOnScreen(this.snapshot, detail);
    markStage(Stage.SHOWN, detail.seq);
    this.dispatchEvent(new Event('status'));
    this.dispatchEvent(new CustomEvent('shown', { detail }));
    return outcome;
  }

  /** Marks onto the page's timeline at the times they were made; the newest status. */
  private read(mail: Mail): void {
    for (const [stage, seq, at] of mail.marks) markStageAt(stage, seq, at);
    if (!mail.status) return;
    this.server = mail.status.server;
    // A snapshot the worker took before it heard the last handler's answer would step back from
    // what the page put on screen (`shownAfter`); the one after it comes a message later.
    if (mail.status.snapshot.seq < this.shownSeq) return;
    this.snapshot = mail.status.snapshot;
    this.dispatchEvent(new Event('status'));
  }

  /**
   * What the player holds and how it is connected: the worker's latest snapshot, with the swarm's
   * links and bytes from peers as the page's swarm has them now.
   */
  status(): PatchStatus {
    const s = this.snapshot;
    const swarm = this.options.swarm;
    if (!swarm) return s;
    const peers = swarm.info().peers.length;
    const bytesFromPeers = swarm.stats()?.bytesFromPeers ?? s.bytesFromPeers;
    const mode = peers > 0 ? 'peer' : s.mode === 'peer' ? 'relay' : s.mode;
    return { ...s, peers, bytesFromPeers, mode };
  }

  /** The relay HTTP base URL the client is connected to now (or dialled last). */
  currentServer(): string {
    return this.server;
  }

  /** As `PatchClient.reportFailure`. */
  reportFailure(
    slot: string,
    failedSha256: string,
    error: string,
    nowRunning: string | null,
    options: { readonly transient?: boolean } = {},
  ): Promise<void> {
    return this.remote.reportFailure(slot, failedSha256, error, nowRunning, options);
  }

  /**
   * Hands back texels the page no longer draws (their texture was replaced: what
   * `GameScene.setBackground` returns): they move to the worker (`texels` is detached here after),
   * which copies the next decoded texture of the same size into them instead of into fresh memory —
   * in headless Chromium here, under load, a 1155² texture's copy took ~1 ms into used memory against
   * ~56 ms into fresh (docs/performance.md, sixteenth round).
   */
  reuseTexels(texels: Uint8Array): void {
    const { buffer } = texels;
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
    void this.remote.reuseTexels(transfer(buffer, [buffer])).catch(() => undefined);
  }

  /** Stops the client (the worker itself ends with the page). */
  close(): void {
    void this.remote.close().catch(() => undefined);
  }

  /** The client as the swarm sees it: releases from peers and messages to the relay go to the worker. */
  private swarmClient(): SwarmClient {
    return {
      offerRelease: (candidate) => this.remote.offerRelease(candidate),
      // (Sent once the worker has it; the swarm doesn't read the answer.)
      sendToRelay: (message) => {
        void this.remote.sendToRelay(message).catch(() => undefined);
        return true;
      },
      peerIdChanged: () => {
        this.pushView(); // (before the new hello, which reads the id)
        void this.remote.peerIdChanged().catch(() => undefined);
      },
    };
  }

  private pushView(): void {
    const view = this.swarmSide?.view();
    if (view) void this.remote.swarmView(view).catch(() => undefined);
  }
}
