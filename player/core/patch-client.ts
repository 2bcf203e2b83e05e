/**
 * The patch client: the player's side of the relay protocol, as a small state machine.
 *
 *   boot     cache → verify again → apply → draw (no network needed)
 *   connect  transport open → `hello` (seq and slots held) → `welcome` → heartbeats
 *   release  `acceptRelease` → fetch missing blobs (verified chunks, progress) → apply each slot
 *            → one atomic cache commit → `ack` per slot   (`release-pipeline.ts`)
 *   close    offline → reconnect with backoff and jitter → `hello` again → catch up
 *            (`relay-connection.ts`)
 *
 * A newer release that arrives while one is loading supersedes it. Nothing reaches the cache before
 * its release was accepted and every blob verified. The client never learns which transport
 * delivered a chunk: it asks its {@link BlobSource}.
 */
import { acceptRelease } from '../../protocol/accept.ts';
import { canonicalize } from '../../protocol/jcs.ts';
import { ErrorCode, type Result } from '../../protocol/errors.ts';
import { MessageType, PROTOCOL_VERSION, type Hello, type Message } from '../../protocol/messages.ts';
import type { Release, SignedRelease } from '../../protocol/release.ts';
import { inRollout } from '../../protocol/rollout.ts';
import type { TrustedKeys } from '../../protocol/keys.ts';
import type { PatchCache } from './cache.ts';
import { ClientEvents } from './events.ts';

export type { PatchEvents } from './events.ts';
import { emptyRoomState, withTrustRoot, type RoomState } from './schema.ts';
import type { PatchHandlers } from './apply.ts';
import type { BackoffOptions } from '../../protocol/backoff.ts';
import { bootFromCache } from './boot.ts';
import { stateAfterFailure } from './fallback.ts';
import { HttpBlobs } from './http-blobs.ts';
import { RelayBlobs } from './relay-blobs.ts';
import { RelayConnection } from './relay-connection.ts';
import { ReleasePipeline } from './release-pipeline.ts';
import { claimedSeq, markStage, Stage } from './timeline.ts';
import { MAX_ERROR_TEXT } from '../../protocol/limits.ts';
import {
  ackOf,
  heldSlots,
  runningOf,
  type LastFailure,
  type AppliedDetail,
  type ConnectedDetail,
  type DisconnectedDetail,
  type PatchStatus,
  type RefusedDetail,
} from './status.ts';
import type { BlobSource, ConnectTransport, RelayChunks, Traffic } from './transport.ts';
import { fetchRotations, RoomTrust, type TrustRefreshReason } from './trust.ts';

/** Options of {@link PatchClient}. */
export interface PatchClientOptions {
  readonly room: string;
  /** The room's pinned public key (raw Ed25519, base64url), from the player URL; or several. */
  readonly publicKey: string | readonly string[];
  /**
   * The relay's HTTP base URL, e.g. `http://127.0.0.1:8787`; a path prefix is kept (`https://host/relay`
   * → `wss://host/relay/ws`, `https://host/relay/api/…`).
   */
  readonly server: string;
  /**
   * The HTTP base URL of each of `connect`'s addresses, in the same order (the page's
   * `&server=A,B`): whole blobs are fetched from the relay connected to now, so a player that failed
   * over asks the relay it moved to. Default: `server` for every address (one HTTP origin in front of
   * them all: a load balancer, `patchcast play --tcp A,B`).
   */
  readonly servers?: readonly string[];
  readonly handlers: PatchHandlers;
  /** Free text for the roster (browser and OS). */
  readonly platform?: string;
  /** Where releases, blobs and the client id are kept (the adapter's: IndexedDB, files). */
  readonly cache: PatchCache;
  /** The client id to use instead of the one the cache keeps (`patchcast play --client-id`). */
  readonly clientId?: string;
  /** Opens a relay connection (the adapter's: WebSocket, framed TCP). */
  readonly connect: ConnectTransport | readonly ConnectTransport[];
  /** Wraps the relay's blob source (the swarm plugs in here). */
  readonly blobSource?: (relay: RelayChunks) => BlobSource;
  /**
   * Blobs of several chunks come whole from `GET {server}/api/blobs/:sha256` while the relay serves
   * them at once, verified, else from the blob source as before (`http-blobs.ts`; default false: the
   * browser adapter turns it on).
   */
  readonly httpBlobs?: boolean;
  /**
   * Rotation records of the room (default: `GET /api/rooms/:room/keys` at the relay connected to
   * now, {@link PatchClient.currentServer}).
   */
  readonly fetchRotations?: () => Promise<unknown[]>;
  /** Relay messages the client itself doesn't handle (`blob.defer`, `peers`: the swarm's). */
  readonly onRelayMessage?: (message: Message) => void;
  /** The PeerJS id to announce in `hello`, when the swarm runs. */
  readonly peerId?: () => string | undefined;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** The client id used before the cache could give one (a cache that fails). */
const ANONYMOUS = 'p-anonymous';

/**
 * The look at the key chain that a taken release asks for (`RoomTrust.refresh`'s `release`: a
 * connected player learns of a removed key by the next publishes) comes at a random moment between
 * these after it: not beside the release's own delivery (its blobs, decode, upload and commit), and
 * not from every player of a room in the same second — with ten thousand players connected, one
 * publish would otherwise bring ten thousand fetches of the chain to the relay at once, just as it
 * sends them the release.
 */
export const TRUST_LOOK_AFTER_RELEASE_MS = { min: 1_000, max: 5_000 } as const;

/**
 * The patch client; see the file comment. Events: `status` (anything in {@link PatchClient.status}
 * changed), `shown` (a release on screen, before it is stored and acked) and `applied` (stored and
 * acked; both {@link AppliedDetail}), `refused` ({@link RefusedDetail}), `connected`
 * ({@link ConnectedDetail}), `disconnected` ({@link DisconnectedDetail}).
 */
export class PatchClient extends ClientEvents {
  private readonly options: PatchClientOptions;
  private readonly cache: PatchCache;
  private readonly relayBlobs: RelayBlobs;
  private readonly blobs: BlobSource;
  private state: RoomState;
  private clientId: string | null = null;
  /** The secret the relay binds the client id to (the cache's), said in every hello. */
  private clientSecret: string | null = null;
  /** The id the relay gave this connection (it may add a suffix to a duplicate id). */
  private relayClientId: string | null = null;
  /** The relay's welcome said it may defer to the swarm (an egress limit): no whole-blob GETs then. */
  private relayMayDefer = false;
  private readonly trusted: RoomTrust;
  /** The key that signed the last release taken (a change makes the client look at the key chain). */
  private lastKeyId: string | null = null;
  /** The release accepted last: offered again once stored (peers pass on what they got), it is no error. */
  private lastAccepted: SignedRelease | null = null;
  private readonly relay: RelayConnection;
  private readonly releases: ReleasePipeline;
  private lastError: string | null = null;
  /** What `lastError` is about: the connection (cleared by a welcome) or a release (by a clean apply). */
  private errorKind: 'connection' | 'release' | null = null;
  private lastFailure: LastFailure | null = null;
  /** The label of the release applied last (for the failure's words). */
  private releaseLabel = '';
  private closed = false;
  /** The pending look at the key chain after a taken release ({@link TRUST_LOOK_AFTER_RELEASE_MS}). */
  private trustLook: ReturnType<typeof setTimeout> | null = null;

  constructor(options: PatchClientOptions) {
    super();
    this.options = options;
    this.state = emptyRoomState(options.room);
    this.cache = options.cache;
    this.trusted = new RoomTrust(
      options.room,
      options.publicKey,
      // From the relay connected to now (a dead first address would serve no chain after a failover).
      options.fetchRotations ?? (() => fetchRotations(this.currentServer(), options.room)),
    );
    this.relay = new RelayConnection({
      connect: options.connect,
      hello: (peerId) => this.hello(peerId),
      ...(options.peerId ? { peerId: options.peerId } : {}),
      message: (message) => this.onMessage(message),
      error: (text) => this.setError(text, 'connection'),
      changed: () => this.emitStatus(),
      traffic: () => this.traffic(),
      closed: (info, retryInMs) => this.emit('disconnected', { ...info, retryInMs }),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    this.relayBlobs = new RelayBlobs((message) => this.relay.send(message));
    const relayBlobs = this.relayBlobs;
    const inner = options.blobSource?.(relayBlobs) ?? relayBlobs;
    this.blobs = options.httpBlobs
      ? new HttpBlobs({
          server: () => this.currentServer(),
          inner,
          pushed: (desc) => relayBlobs.hasPushed(desc),
          skip: () => this.relayMayDefer,
        })
      : inner;
    this.releases = new ReleasePipeline({
      room: options.room,
      cache: this.cache,
      blobs: this.blobs,
      handlers: options.handlers,
      clientId: () => this.clientId ?? ANONYMOUS,
      state: () => this.state,
      setState: (state) => (this.state = state),
      send: (message) => this.send(message),
      error: (text) => this.setError(text),
      failure: (failure) => this.setFailure(failure),
      changed: () => this.emitStatus(),
      hold: (signed, blobs) => this.offerToPeers(signed, blobs),
      shown: (detail) => this.emit('shown', detail),
      applied: (detail) => this.emitApplied(detail),
    });
  }

  /** Boots from the cache (applying what it holds), then connects. Resolves once the cache is applied. */
  async start(): Promise<void> {
    await this.ownClientId();
    await this.boot();
    if (!this.closed) this.relay.start();
  }

  /** This player's client id: the option, else the cache's (null when the cache has none to give). */
  async ownClientId(): Promise<string | null> {
    this.clientId ??= this.options.clientId ?? (await this.cache.clientId().catch(() => null));
    this.clientSecret ??= (await this.cache.clientSecret?.().catch(() => null)) ?? null;
    return this.clientId;
  }

  /**
   * Which slots of `release` this player takes under their staged rollouts (`protocol/rollout.ts`):
   * a slot it doesn't take is neither downloaded nor applied, and is acked `skipped`.
   */
  async rolloutDecisions(release: Release): Promise<Record<string, boolean>> {
    const id = (await this.ownClientId()) ?? ANONYMOUS;
    const out: Record<string, boolean> = {};
    for (const [name, slot] of Object.entries(release.slots))
      out[name] = await inRollout(id, name, slot.sha256, slot.rollout?.percent);
    return out;
  }

  /** The HTTP base URL of the relay connected to now (or dialled last): `servers` by address. */
  currentServer(): string {
    return this.options.servers?.[this.relay.relayIndex] ?? this.options.server;
  }

  /** Whether {@link PatchClient.currentServer} is the relay this connection reached. */
  private fetchesFromThisRelay(): boolean {
    return this.relay.relayIndex === 0 || this.options.servers?.[this.relay.relayIndex] !== undefined;
  }

  /** A snapshot of what the player holds and how it is connected. */
  status(): PatchStatus {
    const traffic = this.traffic();
    return {
      room: this.options.room,
      seq: this.state.seq,
      slots: heldSlots(this.state),
      mode: traffic.peers > 0 ? 'peer' : this.relay.welcomed ? 'relay' : 'offline',
      peers: traffic.peers,
      bytesFromRelay: traffic.bytesFromRelay,
      bytesFromPeers: traffic.bytesFromPeers,
      lastError: this.lastError,
      lastFailure: this.lastFailure,
      clientId: this.relayClientId ?? this.clientId,
      loading: this.releases.progress,
    };
  }

  /** Stops: closes the connection, abandons downloads, stops timers. */
  close(): void {
    this.closed = true;
    if (this.trustLook !== null) clearTimeout(this.trustLook);
    this.trustLook = null;
    this.releases.close();
    this.relayBlobs.close();
    this.relay.close();
  }

  /**
   * Offers a release from anywhere (the relay, or a peer through the swarm). It is checked with
   * protocol's `acceptRelease`; if accepted and newer than anything loading, it is loaded.
   */
  async offerRelease(candidate: unknown): Promise<Result<SignedRelease>> {
    const again = this.sameAsAccepted(candidate);
    if (again) return { ok: true, value: again };
    markStage(Stage.RECEIVED, claimedSeq(candidate));
    await this.trusted.settled(); // (a new connection's look at the key chain comes first)
    const check = async () =>
      acceptRelease({
        candidate,
        room: this.options.room,
        trustedKeys: await this.trust(),
        // The seq stored, not the one on screen: a release whose commit failed is offered again
        // (`hello` claims what is stored), and its commit tried again (`ReleasePipeline.take`).
        current: { seq: this.releases.stored.seq },
        now: (this.options.now ?? Date.now)(),
      });
    let verdict: Result<SignedRelease> = await check();
    if (!verdict.ok && verdict.code === ErrorCode.UNKNOWN_KEY && (await this.refreshTrust('unknown-key'))) {
      verdict = await check();
    }
    if (verdict.ok) {
      // The newest key set this player knows has expired: a relay may be withholding a newer one (a
      // freeze). Look for a renewal; without one, take nothing new (what runs keeps running).
      const expiry = await this.keySetExpiry();
      if (!expiry.ok) verdict = expiry;
    }
    if (!verdict.ok) {
      this.setError(`release refused: ${verdict.code}: ${verdict.message}`);
      this.emit('refused', { code: verdict.code, message: verdict.message });
      return verdict;
    }
    // A release taken: look at the key chain again (a removal the player missed while connected) —
    // at once when another key signed it, else a little later.
    const keyId = verdict.value.release.keyId;
    if (this.lastKeyId !== null && keyId !== this.lastKeyId) void this.refreshTrust('key-change');
    else this.lookAtTrustLater();
    this.lastKeyId = keyId;
    this.lastAccepted = verdict.value;
    markStage(Stage.ACCEPTED, verdict.value.release.seq);
    // (Unless the cache floor rose while the signature was checked, or a newer one is loading.)
    this.releases.take(verdict.value);
    return verdict;
  }

  /**
   * The release accepted last, if `candidate` is that very release again (seq, signature, then the
   * same canonical JSON) and it is stored: a page that took a release from one peer gets it from the
   * others too, and from the relay after a reconnect — no refusal to report, and no strike against an
   * honest peer. One whose commit failed goes through the check again (and its commit is retried).
   */
  private sameAsAccepted(candidate: unknown): SignedRelease | null {
    const last = this.lastAccepted;
    const seq = last?.release.seq ?? 0;
    if (!last || seq > this.releases.stored.seq || claimedSeq(candidate) !== seq) return null;
    if (Reflect.get(candidate as object, 'sig') !== last.sig) return null;
    // Canonical JSON only here, on the rare candidate that matches so far: not for every release taken.
    try {
      return canonicalize(candidate) === canonicalize(last) ? last : null;
    } catch {
      return null; // not even canonical JSON: the check refuses it
    }
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
    await this.releases.queue(() => this.recordFailure(slot, failedSha256, error, nowRunning, options));
  }

  private async recordFailure(
    slot: string,
    failedSha256: string,
    error: string,
    nowRunning: string | null,
    options: { readonly transient?: boolean },
  ): Promise<void> {
    const failed = this.state.held[slot]?.find((e) => e.sha256 === failedSha256);
    const content = { version: failed?.version ?? 'unknown', sha256: failedSha256 };
    const seq = this.state.seq;
    const next = await stateAfterFailure({
      room: this.options.room,
      cache: this.cache,
      handlers: this.options.handlers,
      trusted: await this.trust(),
      state: this.state,
      slot,
      failedSha256,
      nowRunning,
      error,
      transient: options.transient ?? false,
    });
    const state = withTrustRoot(next, this.state); // (learnt meanwhile)
    this.state = state;
    // The ack says what the slot runs now, so the relay can count what failed players run instead.
    const running = runningOf(state, slot);
    this.send(ackOf(seq, slot, content, { status: 'failed', error }, running));
    const release = this.releaseLabel;
    this.setFailure({ seq, release, slot, version: content.version, error, running });
    this.setError(`${slot} ${content.version} (release ${release}, seq ${seq}): ${error}`);
    await this.releases
      .store({ state, releases: [], blobs: new Map() })
      .catch((e: unknown) => this.setError(`cache: ${String(e)}`));
  }

  // ---- boot ------------------------------------------------------------------------------------

  private async boot(): Promise<void> {
    const booted = await bootFromCache({
      room: this.options.room,
      publicKey: this.options.publicKey,
      cache: this.cache,
      handlers: this.options.handlers,
    });
    this.trusted.set(booted.trust);
    this.state = booted.state;
    this.releases.booted(booted.state);
    if (booted.error) this.setError(booted.error);
    if (booted.latest) {
      this.lastKeyId = booted.latest.release.keyId;
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

  private hello(peerId: string | undefined): Hello {
    return {
      type: MessageType.hello,
      v: PROTOCOL_VERSION,
      room: this.options.room,
      role: 'player',
      clientId: this.clientId ?? ANONYMOUS,
      ...(this.options.platform ? { platform: this.options.platform.slice(0, 200) } : {}),
      // What the cache holds (a release on screen whose commit failed is not held: the relay offers
      // it again, and its commit is tried again).
      seq: this.releases.stored.seq,
      slots: heldSlots(this.releases.stored),
      ...(peerId ? { peerId } : {}),
      ...(this.clientSecret !== null ? { clientSecret: this.clientSecret } : {}),
      // Both transports (the WebSocket one and Node's TCP one) read binary chunk frames.
      binaryChunks: true,
      // Small blobs of a new release come with it, unasked (`RelayBlobs` keeps them for the fetch).
      pushBlobs: true,
      // Bigger ones come whole over HTTP: the relay need not frame their chunks for this client.
      ...(this.options.httpBlobs ? { httpBlobs: true } : {}),
    };
  }

  private onMessage(message: Message): void {
    switch (message.type) {
      case MessageType.welcome:
        // The connection works again: its old errors are history.
        if (this.errorKind === 'connection') this.clearError();
        this.relayClientId = message.clientId;
        this.relayMayDefer = message.defers === true;
        this.relayBlobs.connected();
        // Rotations are fetched from this same relay, so its word on the newest record may spare
        // that fetch (naming an old version hides no more than leaving records out of its chain).
        // Without an HTTP address for this relay the fetch goes to the first one: then only the
        // first relay's word counts.
        void this.refreshTrust('connect', this.fetchesFromThisRelay() ? message.rotationVersion : undefined);
        this.emitStatus();
        this.emit('connected', { clientId: message.clientId, seq: message.seq });
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
        this.setError(`relay: ${message.code}: ${message.message}`, 'connection');
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

  /**
   * The id `peerId` gives changed (the swarm failed, or works again): the client says `hello` again
   * on a new connection, so that the relay lists what is true.
   */
  peerIdChanged(): void {
    this.relay.peerIdChanged();
  }

  private send(message: Message): boolean {
    return this.relay.send(message);
  }

  private traffic(): Traffic {
    return this.blobs.traffic();
  }

  // ---- releases --------------------------------------------------------------------------------

  private trust(): Promise<TrustedKeys> {
    return this.trusted.keys(this.state.trustRoot);
  }

  /** The trusted key set's expiry, looking for a renewal once it passed (see `RoomTrust.expiry`). */
  private async keySetExpiry(): Promise<Result<null>> {
    const now = () => (this.options.now ?? Date.now)();
    const expiry = await this.trusted.expiry(this.state.trustRoot, now());
    if (expiry.ok || !(await this.refreshTrust('key-set-expired'))) return expiry;
    return this.trusted.expiry(this.state.trustRoot, now());
  }

  /**
   * Fetches the room's rotation records again (see `RoomTrust.refresh`; not when the relay's welcome
   * said trust stands at its newest already); true when trust moved to a newer key set.
   */
  private async refreshTrust(why: TrustRefreshReason, relayRotation?: number): Promise<boolean> {
    const trustRoot = await this.trusted.refresh(this.state.trustRoot, why, relayRotation);
    if (!trustRoot) return false;
    this.state = { ...this.state, trustRoot };
    return true;
  }

  /**
   * Looks at the key chain at a random moment {@link TRUST_LOOK_AFTER_RELEASE_MS} from now, unless a
   * look is pending already (it covers every release taken meanwhile).
   */
  private lookAtTrustLater(): void {
    if (this.trustLook !== null || this.closed) return;
    const { min, max } = TRUST_LOOK_AFTER_RELEASE_MS;
    const delay = min + (this.options.random ?? Math.random)() * (max - min);
    this.trustLook = setTimeout(() => {
      this.trustLook = null;
      if (!this.closed) void this.refreshTrust('release');
    }, delay);
  }

  /** Tells the blob source (the swarm) which release we hold now, and which verified blobs it may serve. */
  private offerToPeers(signed: SignedRelease, blobs: ReadonlyMap<string, Uint8Array>): void {
    this.blobs.announce?.(signed);
    for (const slot of Object.values(signed.release.slots)) {
      const bytes = blobs.get(slot.sha256);
      if (bytes) this.blobs.hold?.(slot, bytes);
    }
  }

  // ---- events ----------------------------------------------------------------------------------

  private setError(message: string, kind: 'connection' | 'release' = 'release'): void {
    this.lastError = message.slice(0, MAX_ERROR_TEXT);
    this.errorKind = kind;
    this.emitStatus();
  }

  private clearError(): void {
    this.lastError = null;
    this.errorKind = null;
    this.emitStatus();
  }

  /** A slot failed, or (null) a release applied with none failed: older failures and errors are history. */
  private setFailure(failure: Omit<LastFailure, 'at'> | null): void {
    if (failure === null) {
      this.lastFailure = null;
      if (this.errorKind === 'release') this.clearError();
      return;
    }
    const now = (this.options.now ?? Date.now)();
    this.lastFailure = { ...failure, error: failure.error.slice(0, MAX_ERROR_TEXT), at: now };
    this.emitStatus();
  }

  private emitApplied(detail: AppliedDetail): void {
    this.releaseLabel = detail.version;
    this.emit('applied', detail);
  }
}
