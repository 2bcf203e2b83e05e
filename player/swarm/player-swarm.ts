/**
 * The player's swarm: blobs from other players of the room over WebRTC data channels (PeerJS), the
 * relay for what they don't give in time. The transport-free `Swarm` (`swarm.ts`) and `PeerMesh`
 * (`peerjs.ts`) do the work; this file plugs them into the patch client's seams. The PeerJS peer
 * itself is the platform's (`OpenPeer`, with the options in `player-swarm-options.ts`: the browser's
 * WebRTC in `player/browser/`, node-datachannel in `player/node/`); everything else here is the same
 * in a page and in Node:
 *
 * - `blobSource`: a {@link BlobSource} backed by the `Swarm`, with the client's `RelayBlobs` as its
 *   relay (single chunks, which the relay may defer to the swarm with `blob.defer`);
 * - `onRelayMessage`: peer ids from `welcome.peers` and `peers` go to the mesh;
 * - `peerId`: our PeerJS id, announced in `hello` so that the relay lists us to the others (and
 *   withdrawn with a new `hello` when PeerJS fails: {@link SwarmClient.peerIdChanged});
 * - releases a peer passes on go to the client's `offerRelease` (the same `acceptRelease` path);
 *   the client calls `announce` and `hold` once a release is applied (or booted from the cache).
 *
 * Nothing waits for WebRTC. Until the PeerJS peer is open, and for good when it can't open (no
 * signaling server, WebRTC blocked), blobs come from the relay and the mode stays `relay`.
 *
 * Links on demand (the default, `links: 'on-demand'`): links are wanted once the relay's `welcome`
 * says it may defer to the swarm (`defers`: it has an egress limit), or once it defers a chunk
 * (`blob.defer`: it is the bottleneck; not when it is merely slow, since dialling goes through its
 * signaling server). Until then the PeerJS peer is not even opened: no signaling socket, no
 * heartbeats, PeerJS not loaded (state `idle`). Our id is still said in `hello` — the relay lists an
 * id to others only once it is registered on its `/peerjs`, so nobody dials us before we are there.
 * A player whose relay serves at once thus costs the player and the relay what a relay-only one
 * does. Once wanted, the peer registers and the mesh dials; both are kept up for the rest of the
 * session — but for a failover: a `welcome` from a relay other than the one PeerJS registered with
 * makes it register again there (the players that relay lists, and that may dial us, are on its
 * `/peerjs`; a PeerJS peer can't change servers, so the old one and its links go).
 * `links: 'eager'` registers and dials at once.
 */
import type { Peer } from 'peerjs';
import type { SignedRelease } from '../../protocol/release.ts';
import { MessageType, type Message } from '../../protocol/messages.ts';
import { PeerMesh } from './peerjs.ts';
import { LINK_GRACE_MS, type PlayerSwarmOptions, type SwarmClient } from './player-swarm-options.ts';
import { verdictOf, type ReleaseVerdict } from './release-forwarding.ts';
import { signalingFor } from './signaling-address.ts';
import { keepSignaling } from './signaling-upkeep.ts';
import { PatientRelay } from './patient-relay.ts';
import { Swarm, type SwarmStats } from './swarm.ts';
import type { PatchClientOptions } from '../core/patch-client.ts';
import type { BlobSource, RelayChunks } from '../core/transport.ts';

export type { OpenPeer, PlayerSwarmOptions, SwarmClient } from './player-swarm-options.ts';

/**
 * Where the swarm is: `idle` until the PeerJS peer is wanted (links on demand, the relay serves at
 * once), `starting` while it registers, `open` once the signaling server has it.
 */
export type SwarmState = 'disabled' | 'unsupported' | 'idle' | 'starting' | 'open' | 'failed' | 'stopped';

/** What `window.patchcast.swarm()` returns on the demo page. */
export interface SwarmInfo {
  readonly state: SwarmState;
  /** Our PeerJS id (null without a swarm). */
  readonly peerId: string | null;
  /** PeerJS ids of the peers linked now. */
  readonly peers: readonly string[];
  /** Chunks from peers that failed their hash (each one got its sender dropped and banned). */
  readonly badChunks: number;
  readonly peersDropped: number;
  readonly bytesToPeers: number;
  /** Why the swarm is not running, or its last trouble. */
  readonly lastError: string | null;
}

/**
 * A PeerJS id of our own making, so `hello` can carry it before PeerJS has even loaded: `prefix`
 * (`pc-` in a page; the Node adapter's says a peer is libdatachannel: `player/node/node-peer.ts`) and
 * 80 random bits.
 */
function newPeerId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return `${prefix}${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** A failed start is tried again on the next `welcome`, but not more often than this. */
const RETRY_AFTER_MS = 10_000;

/** The player's swarm; see the file comment. Fires `change` when links come and go. */
export class PlayerSwarm extends EventTarget {
  readonly id: string;
  private readonly options: PlayerSwarmOptions;
  private swarm: Swarm | null = null;
  private client: SwarmClient | null = null;
  private peer: Peer | null = null;
  private mesh: PeerMesh | null = null;
  /** Peer ids offered by the relay before the mesh was up. */
  private offered: readonly string[] = [];
  private state: SwarmState = 'idle';
  private lastError: string | null = null;
  private failedAt = -Infinity;
  /** Whether PeerJS ever failed to start or lost its server: from then on the id is announced once open. */
  private everFailed = false;
  /** Keeps the PeerJS peer on its signaling server (`signaling-upkeep.ts`). */
  private upkeep: { stop(): void } | null = null;
  /** When links were first wanted (the relay deferred to the swarm); null: not yet. */
  private wantedAt: number | null = null;
  /** `start` was called: the PeerJS peer may open (at once, or once links are wanted). */
  private joined = false;
  /** The PeerJS start under way, if any (see {@link settled}). */
  private opening: Promise<void> | null = null;
  /** The relay HTTP base URL the PeerJS peer registered with (or is registering with). */
  private registeredWith: string | null = null;

  constructor(options: PlayerSwarmOptions) {
    super();
    this.options = options;
    this.id = newPeerId(options.idPrefix ?? 'pc-');
  }

  /** The patch client options that plug the swarm in: spread them into `new PatchClient({…})`. */
  clientOptions(): Required<Pick<PatchClientOptions, 'blobSource' | 'onRelayMessage' | 'peerId'>> {
    return {
      blobSource: (relay) => this.source(relay),
      onRelayMessage: (message) => this.onRelayMessage(message),
      peerId: () => this.announcedId(),
    };
  }

  /**
   * The id to announce in `hello`: from the start, while PeerJS starts (the signaling server queues
   * offers for a few seconds), not once we know it can't — then nobody should wait on a dial to us;
   * after a failure, only once it is open again.
   */
  private announcedId(): string | undefined {
    if (this.state === 'open' || this.state === 'idle') return this.id;
    return this.state === 'starting' && !this.everFailed ? this.id : undefined;
  }

  /** The client releases from peers go to, and relay messages (`peers.get`) go out through. */
  bind(client: SwarmClient): void {
    this.client = client;
  }

  /**
   * Joins the swarm. With eager links, or links already wanted, loads PeerJS and registers with the
   * signaling server, resolving when up or given up; links on demand not yet wanted, resolves at
   * once and registers when they are (see the file comment).
   */
  async start(): Promise<void> {
    this.joined = true;
    if (this.options.links === 'eager' || this.wantedAt !== null) return this.open();
  }

  /** Resolves once no PeerJS start is under way (one begun by `start` or by wanting links). */
  async settled(): Promise<void> {
    while (this.opening) await this.opening;
  }

  /** Loads PeerJS and registers with the signaling server (once at a time). */
  private open(): Promise<void> {
    this.opening ??= this.register().finally(() => (this.opening = null));
    return this.opening;
  }

  private async register(): Promise<void> {
    if (this.state === 'starting' || this.state === 'open' || this.state === 'stopped') return;
    this.setState('starting');
    const server = this.server();
    this.registeredWith = server;
    let peer: Peer;
    try {
      peer = await this.options.openPeer(
        signalingFor(server),
        this.id,
        this.options.iceServers ?? [],
        this.options.openTimeoutMs ?? 10_000,
      );
    } catch (error) {
      if (!this.still('starting')) return;
      this.failedAt = Date.now();
      this.lastError = `swarm off, relay only: ${error instanceof Error ? error.message : String(error)}`;
      this.setState('failed');
      return;
    }
    const swarm = this.swarm;
    if (!this.still('starting') || !swarm) {
      peer.destroy();
      return;
    }
    this.peer = peer;
    const eager = this.options.links === 'eager';
    this.mesh = new PeerMesh(peer, swarm, {
      ...this.options.mesh,
      eager,
      requestPeers: () => void this.client?.sendToRelay({ type: MessageType.peersGet }),
    });
    this.upkeep = keepSignaling(peer, {
      running: () => this.state === 'open',
      trouble: (message) => (this.lastError = message),
      closed: () => this.lost(),
    });
    this.setState('open');
    this.mesh.offer(this.offered);
    this.offered = [];
    if (eager) this.client?.sendToRelay({ type: MessageType.peersGet });
    else if (this.wantedAt !== null) this.mesh.want();
    // (Failed over while registering: on to the relay connected to now.)
    this.registerAgainIfMoved();
  }

  /** The relay HTTP base URL connected to now (or dialled last). */
  private server(): string {
    return typeof this.options.server === 'function' ? this.options.server() : this.options.server;
  }

  /**
   * Registered with another relay than the one connected to now (a failover): the old peer and its
   * links go, and a new one registers here (see the file comment).
   */
  private registerAgainIfMoved(): void {
    if (this.state !== 'open' || this.registeredWith === null || this.server() === this.registeredWith)
      return;
    const peer = this.peer;
    this.upkeep?.stop();
    this.mesh?.stop();
    this.mesh = null;
    this.peer = null;
    this.setState('idle'); // (the id stays announced: the new relay lists it once registered)
    peer?.destroy();
    // (After the registration under way, if this is its last step.)
    void (this.opening ?? Promise.resolve()).then(() => this.open());
  }

  /** The relay may defer, or did: register and dial peers (from now on, for the whole session). */
  private wantPeers(): void {
    this.wantedAt ??= Date.now();
    if (this.joined && this.state === 'idle') void this.open();
    this.mesh?.want();
  }

  /**
   * Links on demand, none up yet: may the relay defer our requests? Yes while the signaling server
   * has us and a first dial is under way or still to come (its `blob.defer` is what makes us dial),
   * for at most `linkGraceMs` after the first want.
   */
  private linking(): boolean {
    if (this.state !== 'open' || this.options.links === 'eager') return false;
    return this.wantedAt === null || Date.now() - this.wantedAt < (this.options.linkGraceMs ?? LINK_GRACE_MS);
  }

  /**
   * Links on demand, none wanted and none up: the relay never said it may defer (`welcome.defers`),
   * so it serves at once, and its windowed fetch — the relay-only player's path, at its cost — is
   * all a download needs (the swarm would ask the same relay a chunk at a time).
   */
  private relayAlone(swarm: Swarm): boolean {
    return this.options.links !== 'eager' && this.wantedAt === null && swarm.peerCount === 0;
  }

  /**
   * Leaves the swarm for good: every link closes, and downloads in flight through the swarm fail
   * (the client tries the release again on its next connection); later ones go to the relay.
   */
  stop(): void {
    this.setState('stopped');
    this.upkeep?.stop();
    this.mesh?.stop();
    this.swarm?.close();
    this.peer?.destroy();
  }

  /**
   * The swarm would fetch a blob from the relay alone now (it failed or stopped, or links on demand
   * are neither wanted nor up): the patch client's worker then fetches without asking the page.
   */
  relayOnly(): boolean {
    const swarm = this.swarm;
    return this.state === 'failed' || this.state === 'stopped' || !swarm || this.relayAlone(swarm);
  }

  /** The swarm's counters (null before the patch client made it): for benchmarks and tests. */
  stats(): Readonly<SwarmStats> | null {
    return this.swarm?.stats ?? null;
  }

  /** For `window.patchcast.swarm()` and tests. */
  info(): SwarmInfo {
    const stats = this.swarm?.stats;
    return {
      state: this.state,
      peerId: this.id,
      peers: this.swarm?.peerIds() ?? [],
      badChunks: stats?.badChunks ?? 0,
      peersDropped: stats?.peersDropped ?? 0,
      bytesToPeers: stats?.bytesToPeers ?? 0,
      lastError: this.lastError,
    };
  }

  private source(relay: RelayChunks): BlobSource {
    const swarm = new Swarm({
      ...this.options.swarm,
      relay: new PatientRelay(relay, this.options.relayChunkTimeoutMs ?? 3_000),
      onPeerRelease: (signed) => this.peerRelease(signed),
      onPeersChanged: () => this.dispatchEvent(new Event('change')),
      onPeersWanted: () => this.wantPeers(),
      linking: () => this.linking(),
    });
    this.swarm = swarm;
    return {
      // Without a swarm to ask, the relay's own windowed fetch is the quicker way (and after
      // `stop`, the only one: a closed swarm fetches nothing). A blob the relay pushed with its
      // release is here already: taken from the relay (and counted so), then held for peers.
      fetch: (desc, options) =>
        this.state === 'failed' || this.state === 'stopped' || relay.hasPushed(desc) || this.relayAlone(swarm)
          ? relay.fetch(desc, options)
          : swarm.fetch(desc, options),
      hold: (desc, bytes) => swarm.hold(desc, bytes),
      announce: (signed) => swarm.announce(signed),
      traffic: () => ({
        // Counted where the bytes land: the relay's chunks (asked by the swarm or not), the
        // peers' verified chunks.
        bytesFromRelay: relay.traffic().bytesFromRelay,
        bytesFromPeers: swarm.stats.bytesFromPeers,
        peers: swarm.peerCount,
      }),
    };
  }

  /**
   * A release a peer passed on goes through the client's `acceptRelease`, like one from the relay.
   * An honest peer passes on only what it accepted, so a forged or malformed release gets its sender
   * dropped and banned; a stale, expired or not-yet-trusted one may be an honest race or clock skew,
   * and only counts against it (the swarm drops a peer after a few: `release-forwarding.ts`).
   */
  private async peerRelease(signed: SignedRelease): Promise<ReleaseVerdict> {
    return verdictOf(await this.client?.offerRelease(signed));
  }

  private onRelayMessage(message: Message): void {
    if (message.type === MessageType.welcome) {
      this.registerAgainIfMoved();
      this.offer(message.peers ?? []);
      // A relay that may defer to the swarm (it has an egress limit): link now, not at its first
      // `blob.defer` — the first patch through a busy relay would otherwise wait for the links.
      if (message.defers) this.wantPeers();
      // Back on the relay after the swarm could not start (the relay was down, say): try again.
      if (this.state === 'failed' && Date.now() - this.failedAt > RETRY_AFTER_MS) void this.open();
    } else if (message.type === MessageType.peers) {
      this.offer(message.peers);
    }
  }

  private offer(ids: readonly string[]): void {
    if (this.mesh && this.state === 'open') this.mesh.offer(ids);
    else this.offered = ids;
  }

  /** The PeerJS peer closed for good while open: the links go, blobs come from the relay. */
  private lost(): void {
    this.mesh?.stop();
    this.mesh = null;
    this.peer = null;
    this.failedAt = Date.now();
    this.setState('failed');
  }

  /** Whether the state is still `state` (after an await, someone may have stopped us). */
  private still(state: SwarmState): boolean {
    return this.state === state;
  }

  private setState(state: SwarmState): void {
    if (this.state === 'stopped') return;
    const announced = this.announcedId();
    if (state === 'failed') this.everFailed = true;
    this.state = state;
    this.dispatchEvent(new Event('change'));
    // The relay lists the id given in `hello` to the room's other players: a dead id is withdrawn,
    // and one that works again is announced again.
    if (this.announcedId() !== announced) this.client?.peerIdChanged?.();
  }
}

/** The swarm info of a page without a swarm (switched off, or no WebRTC in this browser). */
export function noSwarm(state: 'disabled' | 'unsupported'): SwarmInfo {
  return {
    state,
    peerId: null,
    peers: [],
    badChunks: 0,
    peersDropped: 0,
    bytesToPeers: 0,
    lastError: state === 'unsupported' ? 'no WebRTC in this browser: relay only' : null,
  };
}
