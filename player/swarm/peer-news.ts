/**
 * What a player tells its peers about what it holds — a release it accepted (`peer.release`) and a
 * blob it holds whole (`peer.have all`) — and when.
 *
 * While the relay serves everyone at once, peers get a patch from the relay as fast as from us, and
 * on a busy machine every data channel message costs (the sender's WebRTC stack frames and encrypts
 * it; the receiver parses, and checks a release's signature). So news that the swarm doesn't
 * need right now is told after a quiet moment (`quietNewsMs`, with jitter so that two linked
 * players don't both tell each other), and only to links that don't hold it already: by then the
 * transfer is over and it serves late joiners and the next patch. It is told at once when the swarm
 * carries the patch (the relay deferred to peers lately), and to a peer the moment it shows it is
 * fetching through the swarm (it tells us chunks one by one).
 */
import type { SignedRelease } from '../../protocol/release.ts';
import { PeerMessageType, type PeerMessage } from '../../protocol/swarm/wire.ts';
import type { TimerHandle } from './clock.ts';
import type { PeerState } from './peer.ts';
import type { ResolvedSwarmOptions } from './swarm-options.ts';

/** What the news needs of the swarm around it. */
export interface NewsHost {
  readonly opts: ResolvedSwarmOptions;
  readonly peers: ReadonlyMap<string, PeerState>;
  send(peer: PeerState, message: PeerMessage): void;
  /** Passes a release on to a peer (it then counts as holding it). */
  sendRelease(peer: PeerState, signed: SignedRelease): void;
}

/** See the file comment. */
export class PeerNews {
  /** The release to pass on, if any (the newest; a peer whose seq is lower gets it). */
  private release: SignedRelease | null = null;
  /** Blobs held whole, not yet told → the links already told. */
  private readonly blobs = new Map<string, Set<string>>();
  private timer: TimerHandle = undefined;

  constructor(private readonly host: NewsHost) {}

  /** We accepted `signed`: pass it on now, or after the quiet moment. */
  passOn(signed: SignedRelease, now: boolean): void {
    if (now) {
      for (const peer of this.host.peers.values()) this.tellRelease(peer, signed);
      return;
    }
    this.release = signed;
    this.arm();
  }

  /** We hold `sha256` whole: tell peers now, or after the quiet moment. */
  holding(sha256: string, now: boolean): void {
    if (now) {
      this.blobs.delete(sha256);
      for (const peer of this.host.peers.values()) this.tellBlob(peer, sha256, null);
      return;
    }
    if (!this.blobs.has(sha256)) this.blobs.set(sha256, new Set());
    this.arm();
  }

  /** `peer` fetches through the swarm: it hears at once what we have not told it yet. */
  tellNow(peer: PeerState): void {
    if (this.release) this.tellRelease(peer, this.release);
    for (const [sha256, told] of this.blobs) this.tellBlob(peer, sha256, told);
  }

  /** Forgets everything pending. */
  close(): void {
    this.host.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.release = null;
    this.blobs.clear();
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    const { clock, random, quietNewsMs } = this.host.opts;
    this.timer = clock.setTimeout(() => this.flush(), quietNewsMs * (1 + random() / 2));
  }

  private flush(): void {
    this.timer = undefined;
    for (const peer of this.host.peers.values()) this.tellNow(peer);
    this.release = null;
    this.blobs.clear();
  }

  private tellRelease(peer: PeerState, signed: SignedRelease): void {
    if (peer.seq < signed.release.seq) this.host.sendRelease(peer, signed);
  }

  /** Tells `peer` we hold `sha256` whole, unless it holds it too or was told already. */
  private tellBlob(peer: PeerState, sha256: string, told: Set<string> | null): void {
    if (told?.has(peer.link.id) || peer.holdsWhole(sha256)) return;
    told?.add(peer.link.id);
    this.host.send(peer, { type: PeerMessageType.have, sha256, index: 0, all: true });
  }
}
