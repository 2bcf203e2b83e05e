/**
 * A lying swarm member for the simulation (and, through {@link liarAnswer}, for real WebRTC tests): it
 * speaks the peer wire itself, says on every link that it holds every chunk of the blob being
 * spread, and never delivers one. How it fails a `peer.get` is its mode:
 *
 * - `none`: answers `peer.none` at once (the eclipse of issue 12: a victim that keeps asking it);
 * - `stall`: never answers (each request waits out the asker's deadline);
 * - `bad`: answers with a chunk frame of the right blob and index and the wrong bytes.
 */
import type { BlobDescriptor } from '../../protocol/blobs.ts';
import {
  encodeBitfield,
  encodeChunkFrame,
  encodePeerMessage,
  parsePeerMessage,
  PeerMessageType,
} from '../../protocol/swarm/wire.ts';
import type { PeerLink } from '../../player/swarm/peer.ts';

/** How a liar fails the requests it invited. */
export type LiarMode = 'none' | 'stall' | 'bad';

/** Every liar mode, for runs that mix them. */
export const LIAR_MODES: readonly LiarMode[] = ['none', 'stall', 'bad'];

/** The liar's `peer.hello`: seq 0 and every chunk of `desc`. */
export function liarHello(desc: BlobDescriptor): string {
  const all = Array.from({ length: desc.chunks.length }, (_, i) => i);
  return encodePeerMessage({
    type: PeerMessageType.hello,
    seq: 0,
    have: { [desc.sha256]: encodeBitfield(all, desc.chunks.length) },
  });
}

/**
 * What a liar sends back for one message it received (nothing for anything but a `peer.get`): a
 * `peer.none`, nothing at all, or a chunk frame of junk the size of the chunk asked for.
 */
export function liarAnswer(
  mode: LiarMode,
  desc: BlobDescriptor,
  data: string | Uint8Array,
): string | Uint8Array | null {
  if (typeof data !== 'string') return null;
  const parsed = parsePeerMessage(data);
  if (!parsed.ok || parsed.value.type !== PeerMessageType.get) return null;
  const { sha256, index } = parsed.value;
  switch (mode) {
    case 'none':
      return encodePeerMessage({ type: PeerMessageType.none, sha256, index });
    case 'stall':
      return null;
    case 'bad': {
      const size = sha256 === desc.sha256 ? Math.min(desc.chunkSize, desc.size - index * desc.chunkSize) : 1;
      return encodeChunkFrame({ sha256, index, bytes: new Uint8Array(Math.max(1, size)).fill(0x5a) });
    }
  }
}

/** A liar on one simulated link: claims everything at once, answers as its mode says. */
export class SimLiar {
  /** Requests it received (each one a victim's wasted ask). */
  requests = 0;
  private readonly links = new Set<PeerLink>();

  constructor(
    readonly id: string,
    readonly mode: LiarMode,
    private readonly desc: BlobDescriptor,
  ) {}

  /** Live links. */
  get linkCount(): number {
    return this.links.size;
  }

  /** Takes one end of a link to a victim. */
  attach(link: PeerLink, onClose: () => void): void {
    this.links.add(link);
    link.attach({
      message: (data) => {
        if (typeof data === 'string' && data.includes(PeerMessageType.get)) this.requests++;
        const answer = liarAnswer(this.mode, this.desc, data);
        if (answer !== null) {
          try {
            link.send(answer);
          } catch {
            // The victim closed the link meanwhile.
          }
        }
      },
      drain: () => {},
      close: () => {
        this.links.delete(link);
        onClose();
      },
    });
    link.send(liarHello(this.desc));
  }

  /** Drops every link. */
  close(): void {
    for (const link of [...this.links]) link.close();
  }
}
