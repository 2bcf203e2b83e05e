/**
 * The patch client: the player's side of the relay protocol, as a small state machine.
 *
 *   boot     cache → verify again → apply → draw (no network needed)
 *   connect  transport open → `hello` (seq and slots held) → `welcome` → heartbeats
 *   release  `acceptRelease` → fetch missing blobs (verified chunks, progress) → apply each slot
 *            → one atomic cache commit → `ack` per slot
 *   close    offline → reconnect with backoff and jitter → `hello` again → catch up
 *
 * A newer release that arrives while one is loading supersedes it. Nothing reaches the cache before
 * its release was accepted and every blob verified. The client never learns which transport
 * delivered a chunk: it asks its {@link BlobSource}.
 */
import { acceptRelease } from '../../protocol/accept.ts';
import { ErrorCode, type Result } from '../../protocol/errors.ts';
import { HEARTBEAT_INTERVAL_MS } from '../../protocol/limits.ts';
import { AckStatus, MessageType, PROTOCOL_VERSION, type Message } from '../../protocol/messages.ts';
import type { SignedRelease, Slot } from '../../protocol/release.ts';
import type { TrustedKeys } from '../../protocol/keys.ts';
import { idbCache, type PatchCache } from '../cache/cache.ts';
import { emptyRoomState, type RoomState } from '../cache/schema.ts';
import type { ApplyOutcome, PatchHandlers } from './apply.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { bootFromCache } from './boot.ts';
import { heldAfterFailure } from './fallback.ts';
import { RelayBlobs } from './relay-blobs.ts';
import { applyRelease, remember } from './release-apply.ts';
import { fetchReleaseBlobs, RecentBlobs } from './release-fetch.ts';
import { Liveness, SILENT_TICKS } from './liveness.ts';
import { heldSlots, MAX_ERROR_TEXT, type AppliedDetail, type PatchStatus } from './status.ts';
import type { BlobSource, ConnectTransport, PatchTransport, Traffic } from './transport.ts';
import { computeTrust, fetchRotations } from './trust.ts';
import { relaySocketUrl, webSocketTransport } from './ws-transport.ts';

export type { AppliedDetail, ConnectionMode, PatchStatus, SlotOutcome } from './status.ts';

/** Options of {@link PatchClient}. */
export interface PatchClientOptions {
  readonly room: string;
  /** The room's pinned public key (raw Ed25519, base64url), from the player URL. */
  readonly publicKey: string;
  /**
   * The relay's HTTP base URL, e.g. `http://127.0.0.1:8787`; a path prefix is kept (`https://host/relay`
   * → `wss://host/relay/ws`, `https://host/relay/api/…`).
   */
  readonly server: string;
  readonly handlers: PatchHandlers;
  /** Free text for the roster (browser and OS). */
  readonly platform?: string;
  readonly cache?: PatchCache;
  /** Opens a relay connection (default: WebSocket to `{server}/ws`). */
  readonly connect?: ConnectTransport;
  /** Wraps the relay's blob source (the swarm plugs in here). */
  readonly blobSource?: (relay: RelayBlobs) => BlobSource;
  /** Rotation records of the room (default: `GET {server}/api/rooms/:room/keys`). */
  readonly fetchRotations?: () => Promise<unknown[]>;
  /** Relay messages the client itself doesn't handle (`blob.defer`, `peers`: the swarm's). */
  readonly onRelayMessage?: (message: Message) => void;
  /** The PeerJS id to announce in `hello`, when the swarm runs. */
  readonly peerId?: () => string | undefined;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** Close code of a connection closed to say hello again (not an error). */
const REHELLO = 4001;

/** The patch client; see the file comment. Events: `status`, `applied`, `refused`. */
export class PatchClient extends EventTarget {
  private readonly options: PatchClientOptions;
  private readonly cache: PatchCache;
  private readonly connectTransport: ConnectTransport;
  private readonly relayBlobs: RelayBlobs;
  private readonly blobs: BlobSource;
  private state: RoomState;
  private clientId: string | null = null;
  /** The id the relay gave this connection (it may add a suffix to a duplicate id). */
  private relayClientId: string | null = null;
  private trusted: TrustedKeys | null = null;
  private trustRefreshedAt = -Infinity;
  private transport: PatchTransport | null = null;
  private welcomed = false;
  /** The peer id said in the last `hello` on this connection (null: no hello yet). */
  private announcedPeerId: string | undefined | null = null;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private liveness = new Liveness();
  private loading: { seq: number; controller: AbortController; received: number; total: number } | null =
    null;
  private applying: Promise<void> = Promise.resolve();
  /** Blobs verified lately: a release that supersedes a download reuses what it had finished. */
  private readonly recent = new RecentBlobs();
  private lastError: string | null = null;
  private closed = false;

  constructor(options: PatchClientOptions) {
    super();
    this.options = options;
    this.state = emptyRoomState(options.room);
    this.cache = options.cache ?? idbCache();
    this.connectTransport = options.connect ?? webSocketTransport(relaySocketUrl(options.server));
    this.relayBlobs = new RelayBlobs((message) => this.transport?.send(message) ?? false);
    this.blobs = options.blobSource?.(this.relayBlobs) ?? this.relayBlobs;
  }

  /** Boots from the cache (applying what it holds), then connects. Resolves once the cache is applied. */
  async start(): Promise<void> {
    this.clientId = await this.cache.clientId().catch(() => null);
    await this.boot();
    if (!this.closed) this.connect();
  }

  /** A snapshot of what the player holds and how it is connected. */
  status(): PatchStatus {
    const traffic = this.traffic();
    return {
      room: this.options.room,
      seq: this.state.seq,
      slots: heldSlots(this.state),
      mode: traffic.peers > 0 ? 'peer' : this.welcomed ? 'relay' : 'offline',
      peers: traffic.peers,
      bytesFromRelay: traffic.bytesFromRelay,
      bytesFromPeers: traffic.bytesFromPeers,
      lastError: this.lastError,
      clientId: this.relayClientId ?? this.clientId,
      loading: this.loading
        ? { seq: this.loading.seq, received: this.loading.received, total: this.loading.total }
        : null,
    };
  }

  /** Stops: closes the connection, abandons downloads, stops timers. */
  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    this.loading?.controller.abort();
    this.recent.clear();
    this.relayBlobs.close();
    this.transport?.close(1000, 'player closed');
  }

  /**
   * Offers a release from anywhere (the relay, or a peer through the swarm). It is checked with
   * protocol's `acceptRelease`; if accepted and newer than anything loading, it is loaded.
   */
  async offerRelease(candidate: unknown): Promise<Result<SignedRelease>> {
    let verdict = await acceptRelease({
      candidate,
      room: this.options.room,
      trustedKeys: await this.trust(),
      current: { seq: this.state.seq },
      now: (this.options.now ?? Date.now)(),
    });
    if (!verdict.ok && verdict.code === ErrorCode.UNKNOWN_KEY && (await this.refreshTrust())) {
      verdict = await acceptRelease({
        candidate,
        room: this.options.room,
        trustedKeys: await this.trust(),
        current: { seq: this.state.seq },
        now: (this.options.now ?? Date.now)(),
      });
    }
    if (!verdict.ok) {
      this.setError(`release refused: ${verdict.code}: ${verdict.message}`);
      this.dispatchEvent(
        new CustomEvent('refused', { detail: { code: verdict.code, message: verdict.message } }),
      );
      return verdict;
    }
    const signed = verdict.value;
    // The cache floor may have risen while the signature was checked; and a newer one may be loading.
    if (signed.release.seq <= this.state.seq || (this.loading && this.loading.seq >= signed.release.seq)) {
      return verdict;
    }
    // The older download is abandoned once the new one has asked for its blobs: a blob both need
    // keeps downloading from where it is.
    const superseded = this.loading;
    void this.load(signed, () => superseded?.controller.abort());
    return verdict;
  }

  /**
   * The game dropped a slot's content after it was applied (a logic script that failed at run time).
   * Acks the failure, records `nowRunning` (a blob hash, or null for the game's built-in content) as
   * what the slot holds, and — unless `transient` (a timeout, which a starved machine can cause) —
   * remembers the blob as failed.
   */
  async reportFailure(
    slot: string,
    failedSha256: string,
    error: string,
    nowRunning: string | null,
    options: { readonly transient?: boolean } = {},
  ): Promise<void> {
    // Behind any release being applied, so that neither overwrites the other's state.
    const run = this.applying.then(() => this.recordFailure(slot, failedSha256, error, nowRunning, options));
    this.applying = run.catch(() => undefined);
    await run;
  }

  private async recordFailure(
    slot: string,
    failedSha256: string,
    error: string,
    nowRunning: string | null,
    options: { readonly transient?: boolean },
  ): Promise<void> {
    const failed = this.state.held[slot]?.find((e) => e.sha256 === failedSha256);
    this.setError(`${slot}: ${error}`);
    this.send({
      type: MessageType.ack,
      seq: this.state.seq,
      slot,
      version: failed?.version ?? 'unknown',
      sha256: failedSha256,
      status: AckStatus.failed,
      error: error.slice(0, MAX_ERROR_TEXT),
    });
    const entries = await heldAfterFailure({
      room: this.options.room,
      cache: this.cache,
      handlers: this.options.handlers,
      trusted: await this.trust(),
      slot,
      entries: this.state.held[slot] ?? [],
      failedSha256,
      nowRunning,
    });
    const held = { ...this.state.held };
    if (entries.length > 0) held[slot] = entries;
    else delete held[slot];
    const failedSet = options.transient
      ? this.state.failed
      : remember(this.state.failed, failedSha256, error);
    const state = { ...this.state, held, failed: failedSet };
    this.state = state;
    this.emitStatus();
    await this.cache
      .commit(this.options.room, { state, releases: [], blobs: new Map() })
      .catch((e: unknown) => {
        this.setError(`cache: ${String(e)}`);
      });
  }

  // ---- boot ------------------------------------------------------------------------------------

  private async boot(): Promise<void> {
    const booted = await bootFromCache({
      room: this.options.room,
      publicKey: this.options.publicKey,
      cache: this.cache,
      handlers: this.options.handlers,
    });
    this.trusted = booted.trusted;
    this.state = booted.state;
    if (booted.error) this.setError(booted.error);
    if (booted.latest) {
      this.offerToPeers(booted.latest, booted.blobs);
      this.emitApplied({
        seq: booted.state.seq,
        version: booted.latest.release.version,
        fromCache: true,
        slots: booted.outcomes,
      });
    }
    this.emitStatus();
  }

  // ---- connection ------------------------------------------------------------------------------

  private connect(): void {
    if (this.closed) return;
    this.transport = this.connectTransport({
      open: () => {
        this.hello();
        this.startHeartbeat(HEARTBEAT_INTERVAL_MS); // until `welcome` says the relay's interval
      },
      message: (message) => {
        this.liveness.heard();
        this.onMessage(message);
      },
      invalid: (error) => {
        this.liveness.heard();
        this.setError(`relay sent junk: ${error}`);
      },
      close: (info) => {
        this.transport = null;
        this.welcomed = false;
        this.announcedPeerId = null;
        clearInterval(this.heartbeatTimer);
        if (info.code !== 1000 && info.code !== 1005 && info.code !== REHELLO && info.reason)
          this.setError(`relay closed: ${info.reason}`);
        this.emitStatus();
        if (!this.closed) {
          const delay = backoffDelay(this.attempt++, this.options.backoff, this.options.random);
          this.reconnectTimer = setTimeout(() => this.connect(), delay);
        }
      },
    });
  }

  /**
   * The id `peerId` gives changed (the swarm failed, or works again): the relay lists the id said in
   * `hello` to other players, and has no other way to hear of a new one, so the client reconnects
   * and says hello again.
   */
  peerIdChanged(): void {
    if (this.announcedPeerId === null || this.options.peerId?.() === this.announcedPeerId) return;
    this.transport?.close(REHELLO, 'peer id changed');
  }

  private hello(): void {
    const slots = heldSlots(this.state);
    const peerId = this.options.peerId?.();
    this.announcedPeerId = peerId;
    this.send({
      type: MessageType.hello,
      v: PROTOCOL_VERSION,
      room: this.options.room,
      role: 'player',
      clientId: this.clientId ?? 'p-anonymous',
      ...(this.options.platform ? { platform: this.options.platform.slice(0, 200) } : {}),
      seq: this.state.seq,
      slots,
      ...(peerId ? { peerId } : {}),
    });
  }

  private onMessage(message: Message): void {
    switch (message.type) {
      case MessageType.welcome:
        this.welcomed = true;
        this.attempt = 0;
        this.relayClientId = message.clientId;
        this.startHeartbeat(message.heartbeatMs || HEARTBEAT_INTERVAL_MS);
        this.relayBlobs.connected();
        this.emitStatus();
        this.options.onRelayMessage?.(message); // its `peers` are the swarm's
        return;
      case MessageType.release:
        void this.offerRelease(message.signed);
        return;
      case MessageType.blob:
        void this.relayBlobs.receive(message);
        return;
      case MessageType.blobDefer:
        this.relayBlobs.deferred(message);
        this.options.onRelayMessage?.(message);
        return;
      case MessageType.error:
        this.setError(`relay: ${message.code}: ${message.message}`);
        return;
      default:
        this.options.onRelayMessage?.(message);
        return;
    }
  }

  /** Sends a message to the relay on the current connection (for the swarm: `peers.get`); false if offline. */
  sendToRelay(message: Message): boolean {
    return this.send(message);
  }

  private startHeartbeat(intervalMs: number): void {
    clearInterval(this.heartbeatTimer);
    this.liveness = new Liveness();
    this.heartbeatTimer = setInterval(() => this.heartbeat(intervalMs), intervalMs);
  }

  /**
   * Every heartbeat interval: the heartbeat (once welcomed), and the check that the connection still
   * carries anything (see `liveness.ts`): a connection silent for {@link SILENT_TICKS} intervals is
   * closed (4000) and dialled again.
   */
  private heartbeat(intervalMs: number): void {
    const verdict = this.liveness.tick();
    if (verdict === 'dead') {
      clearInterval(this.heartbeatTimer);
      this.transport?.close(4000, `nothing from the relay for ${(SILENT_TICKS * intervalMs) / 1000} s`);
      return;
    }
    if (!this.welcomed) return; // the hello is the question
    // A question the relay always answers: its answer says the connection works both ways.
    if (verdict === 'ask') this.send({ type: MessageType.peersGet });
    const { bytesFromRelay, bytesFromPeers, peers } = this.traffic();
    this.send({
      type: MessageType.heartbeat,
      t: Date.now(),
      traffic: { bytesFromRelay, bytesFromPeers, peers },
    });
  }

  private send(message: Message): boolean {
    return this.transport?.send(message) ?? false;
  }

  private traffic(): Traffic {
    return this.blobs.traffic();
  }

  // ---- releases --------------------------------------------------------------------------------

  private async trust(): Promise<TrustedKeys> {
    this.trusted ??= await computeTrust(this.options.room, this.options.publicKey, this.state.rotations);
    return this.trusted;
  }

  /** Fetches rotation records again (at most every 10 s); true when the trust set grew. */
  private async refreshTrust(): Promise<boolean> {
    const now = Date.now();
    if (now - this.trustRefreshedAt < 10_000) return false;
    this.trustRefreshedAt = now;
    const rotations = await (
      this.options.fetchRotations ?? (() => fetchRotations(this.options.server, this.options.room))
    )();
    const before = (await this.trust()).size;
    const trusted = await computeTrust(this.options.room, this.options.publicKey, rotations);
    if (trusted.size <= before) return false;
    this.trusted = trusted;
    this.state = { ...this.state, rotations: rotations.slice(0, 64) };
    return true;
  }

  /**
   * Fetches what a release needs, then queues its apply-and-commit behind any other. `started` runs
   * once its fetches are asked for (it abandons the download this one supersedes).
   */
  private async load(signed: SignedRelease, started: () => void): Promise<void> {
    const { release } = signed;
    const controller = new AbortController();
    const loading = { seq: release.seq, controller, received: 0, total: 0 };
    this.loading = loading;
    this.emitStatus();
    const fetched = await fetchReleaseBlobs({
      release,
      state: this.state,
      room: this.options.room,
      clientId: this.clientId ?? 'p-anonymous',
      cache: this.cache,
      blobs: this.blobs,
      signal: controller.signal,
      recent: this.recent,
      onProgress: (received, total) => {
        loading.received = received;
        loading.total = total;
        this.emitStatus();
      },
      onStarted: started,
    }).finally(started);
    // Superseded (a newer release is loading), or closed.
    if (controller.signal.aborted || this.closed || this.loading !== loading) return;
    if (fetched.failures.length > 0) {
      // All or nothing: a release is never applied in part. Nothing is stored; the relay will
      // offer the release again on the next connection.
      if (this.loading === loading) this.loading = null;
      for (const f of fetched.failures) {
        this.setError(`${f.name}: ${f.error}`);
        this.ack(release.seq, f.name, f.slot, { status: 'failed', error: f.error });
      }
      this.emitStatus();
      return;
    }
    const progress = (received: number, total: number) => {
      if (this.loading !== loading) return;
      loading.received = received;
      loading.total = total;
      this.emitStatus();
    };
    const run = this.applying.then(() =>
      this.applyRelease(signed, fetched.blobs, controller.signal, progress),
    );
    this.applying = run.catch(() => undefined);
    await run.catch((error: unknown) =>
      this.setError(`applying seq ${release.seq} failed: ${String(error)}`),
    );
    if (this.loading === loading) this.loading = null;
    this.emitStatus();
  }

  private async applyRelease(
    signed: SignedRelease,
    fetchedBlobs: ReadonlyMap<string, Uint8Array>,
    signal: AbortSignal,
    onProgress: (received: number, total: number) => void,
  ): Promise<void> {
    const { release } = signed;
    if (release.seq <= this.state.seq || this.closed) return;
    // The download chose its blobs against the state of its start; a release applied since may have
    // changed what this one needs (a rollback to content the release before it replaced). Whatever
    // is missing now comes from the cache, else the network — all or nothing, as before.
    const more = await fetchReleaseBlobs({
      release,
      state: this.state,
      have: fetchedBlobs,
      room: this.options.room,
      clientId: this.clientId ?? 'p-anonymous',
      cache: this.cache,
      blobs: this.blobs,
      recent: this.recent,
      signal,
      onProgress,
    });
    if (signal.aborted || this.closed) return; // superseded: the newer release is applied instead
    if (more.failures.length > 0) {
      for (const f of more.failures) {
        this.setError(`${f.name}: ${f.error}`);
        this.ack(release.seq, f.name, f.slot, { status: 'failed', error: f.error });
      }
      return;
    }
    const blobs = new Map([...fetchedBlobs, ...more.blobs]);
    const result = await applyRelease({
      state: this.state,
      signed,
      blobs,
      handlers: this.options.handlers,
      clientId: this.clientId ?? 'p-anonymous',
    });
    // Rotation records learnt while the handlers ran (a release signed by a newer key) are kept: the
    // next offline boot needs them to trust what is committed here.
    const state = { ...result.state, rotations: this.state.rotations };
    try {
      await this.cache.commit(this.options.room, { state, releases: [signed], blobs: result.keepBlobs });
    } catch (error) {
      this.setError(`cache: ${String(error)}`);
    }
    this.state = { ...state, rotations: this.state.rotations };
    this.offerToPeers(signed, blobs);
    for (const [name, slot, outcome] of result.slots) this.ack(release.seq, name, slot, outcome);
    this.emitApplied({
      seq: release.seq,
      version: release.version,
      fromCache: false,
      slots: result.outcomes,
    });
  }

  /** Tells the blob source (the swarm) which release we hold now, and which verified blobs it may serve. */
  private offerToPeers(signed: SignedRelease, blobs: ReadonlyMap<string, Uint8Array>): void {
    this.blobs.announce?.(signed);
    for (const slot of Object.values(signed.release.slots)) {
      const bytes = blobs.get(slot.sha256);
      if (bytes) this.blobs.hold?.(slot, bytes);
    }
  }

  private ack(seq: number, name: string, slot: Slot, outcome: ApplyOutcome): void {
    this.send({
      type: MessageType.ack,
      seq,
      slot: name,
      version: slot.version,
      sha256: slot.sha256,
      status: outcome.status,
      ...(outcome.status === 'failed' ? { error: outcome.error.slice(0, MAX_ERROR_TEXT) } : {}),
      ...(outcome.status === 'skipped' ? { error: outcome.reason.slice(0, MAX_ERROR_TEXT) } : {}),
    });
  }

  // ---- events ----------------------------------------------------------------------------------

  private setError(message: string): void {
    this.lastError = message.slice(0, MAX_ERROR_TEXT);
    this.emitStatus();
  }

  private emitStatus(): void {
    this.dispatchEvent(new Event('status'));
  }

  private emitApplied(detail: AppliedDetail): void {
    this.dispatchEvent(new CustomEvent<AppliedDetail>('applied', { detail }));
  }
}
