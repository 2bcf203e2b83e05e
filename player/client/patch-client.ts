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
import { verifyBlob } from '../../protocol/blobs.ts';
import { ErrorCode, type Result } from '../../protocol/errors.ts';
import { HEARTBEAT_INTERVAL_MS } from '../../protocol/limits.ts';
import {
  AckStatus,
  MessageType,
  PROTOCOL_VERSION,
  type HeldSlot,
  type Message,
} from '../../protocol/messages.ts';
import type { SignedRelease, Slot } from '../../protocol/release.ts';
import type { TrustedKeys } from '../../protocol/keys.ts';
import { idbCache, type PatchCache } from '../cache/cache.ts';
import { emptyRoomState, MAX_FAILED, MAX_HISTORY, type HeldEntry, type RoomState } from '../cache/schema.ts';
import { applyOrder, applySlot, type ApplyOutcome, type PatchHandlers } from './apply.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { RelayBlobs } from './relay-blobs.ts';
import { inRollout } from './rollout.ts';
import type { BlobSource, ConnectTransport, PatchTransport, Traffic } from './transport.ts';
import { computeTrust, fetchRotations, verifyCachedRelease } from './trust.ts';
import { relaySocketUrl, webSocketTransport } from './ws-transport.ts';

/** How the player gets its patches now. */
export type ConnectionMode = 'relay' | 'peer' | 'offline';

/** What `status()` returns (and `window.patchcast.status()` on the demo page). */
export interface PatchStatus {
  readonly room: string;
  /** Seq of the newest release accepted (0 for none). */
  readonly seq: number;
  /** What each slot holds and applies now. */
  readonly slots: Readonly<Record<string, HeldSlot>>;
  readonly mode: ConnectionMode;
  readonly peers: number;
  readonly bytesFromRelay: number;
  readonly bytesFromPeers: number;
  readonly lastError: string | null;
  /** The id the relay knows this player by (null before the first `welcome` and without a cache). */
  readonly clientId: string | null;
  /** The release being fetched, with verified bytes so far (null when idle). */
  readonly loading: { readonly seq: number; readonly received: number; readonly total: number } | null;
}

/** One slot's outcome in an `applied` event. */
export interface SlotOutcome extends HeldSlot {
  readonly status: AckStatus;
  readonly error?: string;
}

/** Detail of the `applied` event: a release (or the cache at boot) was applied. */
export interface AppliedDetail {
  readonly seq: number;
  readonly version: string;
  readonly fromCache: boolean;
  readonly slots: Readonly<Record<string, SlotOutcome>>;
}

/** Options of {@link PatchClient}. */
export interface PatchClientOptions {
  readonly room: string;
  /** The room's pinned public key (raw Ed25519, base64url), from the player URL. */
  readonly publicKey: string;
  /** The relay's HTTP origin, e.g. `http://127.0.0.1:8787`. */
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

const MAX_ERROR = 500;

/** The patch client; see the file comment. Events: `status`, `applied`, `refused`. */
export class PatchClient extends EventTarget {
  private readonly options: PatchClientOptions;
  private readonly cache: PatchCache;
  private readonly connectTransport: ConnectTransport;
  private readonly relayBlobs: RelayBlobs;
  private readonly blobs: BlobSource;
  private state: RoomState;
  private clientId: string | null = null;
  private trusted: TrustedKeys | null = null;
  private trustRefreshedAt = -Infinity;
  private transport: PatchTransport | null = null;
  private welcomed = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private loading: { seq: number; controller: AbortController; received: number; total: number } | null =
    null;
  private applying: Promise<void> = Promise.resolve();
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
    const slots: Record<string, HeldSlot> = {};
    for (const [name, entries] of Object.entries(this.state.held)) {
      const top = entries.at(-1);
      if (top) slots[name] = { version: top.version, sha256: top.sha256 };
    }
    return {
      room: this.options.room,
      seq: this.state.seq,
      slots,
      mode: traffic.peers > 0 ? 'peer' : this.welcomed ? 'relay' : 'offline',
      peers: traffic.peers,
      bytesFromRelay: traffic.bytesFromRelay,
      bytesFromPeers: traffic.bytesFromPeers,
      lastError: this.lastError,
      clientId: this.clientId,
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
    this.loading?.controller.abort();
    void this.load(signed);
    return verdict;
  }

  /**
   * The game dropped a slot's content after it was applied (a logic script that failed at run time).
   * Acks the failure, remembers it, and records `nowRunning` (a blob hash, or null for the game's
   * built-in content) as what the slot holds.
   */
  async reportFailure(
    slot: string,
    failedSha256: string,
    error: string,
    nowRunning: string | null,
  ): Promise<void> {
    const entries = [...(this.state.held[slot] ?? [])];
    const failed = entries.find((e) => e.sha256 === failedSha256);
    while (entries.length > 0 && entries.at(-1)?.sha256 !== nowRunning) entries.pop();
    const held = { ...this.state.held };
    if (entries.length > 0) held[slot] = entries;
    else delete held[slot];
    const state = { ...this.state, held, failed: remember(this.state.failed, failedSha256, error) };
    this.state = state;
    this.setError(`${slot}: ${error}`);
    this.send({
      type: MessageType.ack,
      seq: state.seq,
      slot,
      version: failed?.version ?? 'unknown',
      sha256: failedSha256,
      status: AckStatus.failed,
      error: error.slice(0, MAX_ERROR),
    });
    await this.cache
      .commit(this.options.room, { state, releases: [], blobs: new Map() })
      .catch((e: unknown) => {
        this.setError(`cache: ${String(e)}`);
      });
  }

  // ---- boot ------------------------------------------------------------------------------------

  private async boot(): Promise<void> {
    let state: RoomState;
    try {
      state = await this.cache.state(this.options.room);
    } catch (error) {
      this.setError(`cache unavailable: ${String(error)}`);
      return;
    }
    const trusted = await computeTrust(this.options.room, this.options.publicKey, state.rotations);
    const latest = state.seq > 0 ? await this.cache.release(this.options.room, state.seq) : null;
    if (state.seq > 0 && (!latest || !(await verifyCachedRelease(latest, this.options.room, trusted)))) {
      this.setError('cache: the stored release does not verify under the pinned key; starting empty');
      return;
    }
    const held: Record<string, HeldEntry[]> = {};
    const outcomes: Record<string, SlotOutcome> = {};
    const names = Object.keys(state.held).sort((a, b) => {
      const sa = latest?.release.slots[a];
      const sb = latest?.release.slots[b];
      return sa && sb ? applyOrder(sa, sb) : 0;
    });
    for (const name of names) {
      const entries = [...(state.held[name] ?? [])];
      // Newest first; an entry that doesn't verify or apply any more gives way to the one before it.
      while (entries.length > 0) {
        const entry = entries.at(-1)!;
        const outcome = await this.bootSlot(name, entry, trusted, latest);
        if (outcome?.status === 'applied') {
          held[name] = entries;
          outcomes[name] = { version: entry.version, sha256: entry.sha256, status: 'applied' };
          break;
        }
        entries.pop();
      }
    }
    this.trusted = trusted;
    this.state = { ...state, held };
    if (latest) {
      this.emitApplied({ seq: state.seq, version: latest.release.version, fromCache: true, slots: outcomes });
    }
    this.emitStatus();
  }

  private async bootSlot(
    name: string,
    entry: HeldEntry,
    trusted: TrustedKeys,
    latest: SignedRelease | null,
  ): Promise<ApplyOutcome | null> {
    const room = this.options.room;
    const signed = latest?.release.seq === entry.seq ? latest : await this.cache.release(room, entry.seq);
    if (!signed || !(await verifyCachedRelease(signed, room, trusted))) return null;
    const slot = signed.release.slots[name];
    const bytes = await this.cache.blob(room, entry.sha256);
    if (!slot || slot.sha256 !== entry.sha256 || !bytes || !(await verifyBlob(slot, bytes)).ok) return null;
    return applySlot(this.options.handlers, { name, slot, seq: entry.seq, fromCache: true }, bytes);
  }

  // ---- connection ------------------------------------------------------------------------------

  private connect(): void {
    if (this.closed) return;
    this.transport = this.connectTransport({
      open: () => this.hello(),
      message: (message) => this.onMessage(message),
      invalid: (error) => this.setError(`relay sent junk: ${error}`),
      close: (info) => {
        this.transport = null;
        this.welcomed = false;
        clearInterval(this.heartbeatTimer);
        if (info.code !== 1000 && info.code !== 1005 && info.reason)
          this.setError(`relay closed: ${info.reason}`);
        this.emitStatus();
        if (!this.closed) {
          const delay = backoffDelay(this.attempt++, this.options.backoff, this.options.random);
          this.reconnectTimer = setTimeout(() => this.connect(), delay);
        }
      },
    });
  }

  private hello(): void {
    const slots = this.status().slots;
    const peerId = this.options.peerId?.();
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
        this.clientId ??= message.clientId;
        clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = setInterval(
          () => this.heartbeat(),
          message.heartbeatMs || HEARTBEAT_INTERVAL_MS,
        );
        this.relayBlobs.connected();
        this.emitStatus();
        return;
      case MessageType.release:
        void this.offerRelease(message.signed);
        return;
      case MessageType.blob:
        void this.relayBlobs.receive(message);
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

  private heartbeat(): void {
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

  /** Fetches what a release needs, then queues its apply-and-commit behind any other. */
  private async load(signed: SignedRelease): Promise<void> {
    const { release } = signed;
    const controller = new AbortController();
    const loading = { seq: release.seq, controller, received: 0, total: 0 };
    this.loading = loading;
    this.emitStatus();
    const wanted = Object.entries(release.slots).filter(
      ([name, slot]) =>
        this.state.held[name]?.at(-1)?.sha256 !== slot.sha256 &&
        this.state.failed[slot.sha256] === undefined &&
        !(slot.kind === 'script' && slot.lang === 'python'),
    );
    const got = new Map<string, Uint8Array>();
    const received = new Map<string, number>();
    loading.total = wanted.reduce((sum, [, slot]) => sum + slot.size, 0);
    const results = await Promise.all(
      wanted.map(async ([name, slot]) => {
        const cached = await this.cache.blob(this.options.room, slot.sha256).catch(() => null);
        if (cached && (await verifyBlob(slot, cached)).ok) {
          received.set(slot.sha256, slot.size);
          got.set(slot.sha256, cached);
          return null;
        }
        const result = await this.blobs.fetch(slot, {
          signal: controller.signal,
          onProgress: (bytes) => {
            received.set(slot.sha256, bytes);
            loading.received = [...received.values()].reduce((a, b) => a + b, 0);
            this.emitStatus();
          },
        });
        if (result.ok) got.set(slot.sha256, result.value);
        return result.ok ? null : { name, slot, error: `${result.code}: ${result.message}` };
      }),
    );
    if (controller.signal.aborted || this.closed) return;
    const failures = results.filter((r) => r !== null);
    if (failures.length > 0) {
      // All or nothing: a release is never applied in part. Nothing is stored; the relay will
      // offer the release again on the next connection.
      if (this.loading === loading) this.loading = null;
      for (const f of failures) {
        this.setError(`${f.name}: ${f.error}`);
        this.ack(release.seq, f.name, f.slot, { status: 'failed', error: f.error });
      }
      this.emitStatus();
      return;
    }
    const run = this.applying.then(() => this.applyRelease(signed, got));
    this.applying = run.catch(() => undefined);
    await run.catch((error: unknown) =>
      this.setError(`applying seq ${release.seq} failed: ${String(error)}`),
    );
    if (this.loading === loading) this.loading = null;
    this.emitStatus();
  }

  private async applyRelease(signed: SignedRelease, blobs: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const { release } = signed;
    if (release.seq <= this.state.seq || this.closed) return;
    const held: Record<string, HeldEntry[]> = {};
    let failed = this.state.failed;
    const keepBlobs = new Map<string, Uint8Array>();
    const outcomes: Record<string, SlotOutcome> = {};
    const slots = Object.entries(release.slots).sort(([, a], [, b]) => applyOrder(a, b));
    for (const [name, slot] of slots) {
      const entries = [...(this.state.held[name] ?? [])];
      const outcome = await this.decide(name, slot, release.seq, entries, blobs.get(slot.sha256));
      if (outcome.status === 'applied') {
        // The new content goes on top of the slot's history (once: a rollback reuses an old entry).
        const rest = entries.filter((e) => e.sha256 !== slot.sha256);
        held[name] = [...rest, { seq: release.seq, version: slot.version, sha256: slot.sha256 }].slice(
          -MAX_HISTORY,
        );
        const bytes = blobs.get(slot.sha256);
        if (bytes) keepBlobs.set(slot.sha256, bytes);
      } else if (entries.length > 0) {
        held[name] = entries;
      }
      if (outcome.status === 'failed') failed = remember(failed, slot.sha256, outcome.error);
      outcomes[name] = {
        version: slot.version,
        sha256: slot.sha256,
        status: outcome.status,
        ...(outcome.status === 'failed' ? { error: outcome.error } : {}),
        ...(outcome.status === 'skipped' ? { error: outcome.reason } : {}),
      };
    }
    const state: RoomState = { ...this.state, seq: release.seq, held, failed };
    try {
      await this.cache.commit(this.options.room, { state, releases: [signed], blobs: keepBlobs });
    } catch (error) {
      this.setError(`cache: ${String(error)}`);
    }
    this.state = state;
    for (const [name, slot] of slots) {
      const o = outcomes[name]!;
      this.ack(
        release.seq,
        name,
        slot,
        o.status === 'failed'
          ? { status: 'failed', error: o.error ?? '' }
          : o.status === 'skipped'
            ? { status: 'skipped', reason: o.error ?? '' }
            : { status: 'applied' },
      );
    }
    this.emitApplied({ seq: release.seq, version: release.version, fromCache: false, slots: outcomes });
  }

  /** Applies one slot of a release, or says why not. */
  private async decide(
    name: string,
    slot: Slot,
    seq: number,
    entries: readonly HeldEntry[],
    bytes: Uint8Array | undefined,
  ): Promise<ApplyOutcome> {
    if (entries.at(-1)?.sha256 === slot.sha256) return { status: 'applied' };
    const knownBad = this.state.failed[slot.sha256];
    if (knownBad !== undefined) return { status: 'failed', error: knownBad };
    if (slot.kind === 'script' && slot.lang === 'python') {
      return { status: 'skipped', reason: 'a python script is for seed-protocol clients' };
    }
    if (!(await inRollout(this.clientId ?? 'p-anonymous', name, slot.sha256, slot.rollout?.percent))) {
      return { status: 'skipped', reason: `outside the staged rollout (${slot.rollout?.percent ?? 100}%)` };
    }
    if (!bytes) return { status: 'failed', error: 'BLOB_MISSING: the blob was not fetched' };
    return applySlot(this.options.handlers, { name, slot, seq, fromCache: false }, bytes);
  }

  private ack(seq: number, name: string, slot: Slot, outcome: ApplyOutcome): void {
    this.send({
      type: MessageType.ack,
      seq,
      slot: name,
      version: slot.version,
      sha256: slot.sha256,
      status: outcome.status,
      ...(outcome.status === 'failed' ? { error: outcome.error.slice(0, MAX_ERROR) } : {}),
      ...(outcome.status === 'skipped' ? { error: outcome.reason.slice(0, MAX_ERROR) } : {}),
    });
  }

  // ---- events ----------------------------------------------------------------------------------

  private setError(message: string): void {
    this.lastError = message.slice(0, MAX_ERROR);
    this.emitStatus();
  }

  private emitStatus(): void {
    this.dispatchEvent(new Event('status'));
  }

  private emitApplied(detail: AppliedDetail): void {
    this.dispatchEvent(new CustomEvent<AppliedDetail>('applied', { detail }));
  }
}

/** Adds a failed blob to the remembered set, dropping the oldest past the bound. */
function remember(
  failed: Readonly<Record<string, string>>,
  sha256: string,
  error: string,
): Record<string, string> {
  const entries = Object.entries(failed).filter(([k]) => k !== sha256);
  entries.push([sha256, error.slice(0, MAX_ERROR)]);
  return Object.fromEntries(entries.slice(-MAX_FAILED));
}
