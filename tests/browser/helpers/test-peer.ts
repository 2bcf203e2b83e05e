/**
 * A swarm member for browser tests, driven by the test: a Node peer (node-datachannel, PeerJS on the
 * relay's `/peerjs`) that runs the real `Swarm` and `PeerMesh` and joins a room through the relay
 * like a player (its PeerJS id in `hello`, so the relay names it to the others). The test says what
 * it holds and which releases it passes on. With `corrupt`, it flips bytes in every chunk it sends;
 * with `lie`, it answers every request for a chunk it holds with `peer.none` (`none`) or not at all
 * (`stall`) — everything else is the honest code, so it claims (`peer.have`) what it holds.
 */
import WebSocket from 'ws';
import type { BlobDescriptor } from '../../../protocol/blobs.ts';
import { decodeBody } from '../../../protocol/frame.ts';
import { MessageType, parseMessage, PROTOCOL_VERSION, type Message } from '../../../protocol/messages.ts';
import type { SignedRelease } from '../../../protocol/release.ts';
import type { PeerLink } from '../../../player/swarm/peer.ts';
import { PeerMesh } from '../../../player/swarm/peerjs.ts';
import { Swarm } from '../../../player/swarm/swarm.ts';
import {
  CHUNK_FRAME_HEADER,
  decodeChunkFrame,
  encodePeerMessage,
  PeerMessageType,
} from '../../../protocol/swarm/wire.ts';
import { openNodePeer } from '../../../player/node/node-peer.ts';

/** The Node peer, as the test drives it. */
export interface TestPeer {
  readonly id: string;
  /** Chunk frames it corrupted (or, lying, withheld) so far. */
  corrupted(): number;
  /** Ids of the players linked to it now. */
  linked(): string[];
  /** Says it holds `bytes` (whole, verified) and serves them (corrupted, if so made). */
  hold(desc: BlobDescriptor, bytes: Uint8Array): void;
  /** Passes a release on to its links, as an honest peer does. */
  announce(signed: SignedRelease): void;
  stop(): void;
}

/** Flips bytes in the payload of every binary chunk frame the link sends; control messages pass. */
function corrupting(link: PeerLink, count: () => void): PeerLink {
  return {
    id: link.id,
    bufferedAmount: () => link.bufferedAmount(),
    close: () => link.close(),
    attach: (handlers) => link.attach(handlers),
    send: (data) => {
      if (typeof data === 'string' || !decodeChunkFrame(data).ok || data.length <= CHUNK_FRAME_HEADER) {
        link.send(data);
        return;
      }
      const bad = data.slice();
      for (let i = CHUNK_FRAME_HEADER; i < bad.length; i += 997) bad[i]! ^= 0xff;
      count();
      link.send(bad);
    },
  };
}

/** Replaces every chunk frame the link sends with `peer.none` (`none`) or with nothing (`stall`). */
function withholding(link: PeerLink, mode: 'none' | 'stall', count: () => void): PeerLink {
  return {
    id: link.id,
    bufferedAmount: () => link.bufferedAmount(),
    close: () => link.close(),
    attach: (handlers) => link.attach(handlers),
    send: (data) => {
      const frame = typeof data === 'string' ? null : decodeChunkFrame(data);
      if (!frame?.ok) {
        link.send(data);
        return;
      }
      count();
      if (mode === 'none') {
        const { sha256, index } = frame.value;
        link.send(encodePeerMessage({ type: PeerMessageType.none, sha256, index }));
      }
    },
  };
}

/** The honest `Swarm`, with the counter the test reads. */
class CountingSwarm extends Swarm {
  corruptedFrames = 0;
}

/** A `Swarm` whose every link corrupts what it uploads. */
class CorruptingSwarm extends CountingSwarm {
  override addPeer(link: PeerLink): boolean {
    return super.addPeer(corrupting(link, () => this.corruptedFrames++));
  }
}

/** A `Swarm` that claims what it holds and never gives it. */
class WithholdingSwarm extends CountingSwarm {
  constructor(private readonly mode: 'none' | 'stall') {
    super({ relay: null });
  }
  override addPeer(link: PeerLink): boolean {
    return super.addPeer(withholding(link, this.mode, () => this.corruptedFrames++));
  }
}

/**
 * Starts the peer: registers `id` with the relay's PeerJS server, then says hello to the relay in
 * `room` as a player with that PeerJS id, and dials the peers the relay names.
 */
export async function openTestPeer(
  relay: { httpPort: number },
  room: string,
  options: { readonly id: string; readonly corrupt: boolean; readonly lie?: 'none' | 'stall' },
): Promise<TestPeer> {
  const id = options.id;
  const peer = await openNodePeer(
    { host: '127.0.0.1', port: relay.httpPort, path: '/peerjs', secure: false },
    id,
  );
  const swarm = options.lie
    ? new WithholdingSwarm(options.lie)
    : options.corrupt
      ? new CorruptingSwarm({ relay: null })
      : new CountingSwarm({ relay: null });
  const ws = new WebSocket(`ws://127.0.0.1:${relay.httpPort}/ws`);
  const send = (message: Message) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  };
  const mesh = new PeerMesh(peer, swarm, { requestPeers: () => send({ type: MessageType.peersGet }) });
  let heartbeat: NodeJS.Timeout | undefined;
  ws.on('message', (data: Buffer) => {
    const frame = decodeBody(new Uint8Array(data));
    if (!frame.ok) return;
    const message = parseMessage(frame.value);
    if (!message.ok) return;
    if (message.value.type === MessageType.welcome) mesh.offer(message.value.peers ?? []);
    if (message.value.type === MessageType.peers) mesh.offer(message.value.peers);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  send({
    type: MessageType.hello,
    v: PROTOCOL_VERSION,
    room,
    role: 'player',
    clientId: id,
    platform: options.lie
      ? `lying test peer (${options.lie})`
      : options.corrupt
        ? 'corrupting test peer'
        : 'test peer',
    seq: 0,
    peerId: id,
  });
  heartbeat = setInterval(() => send({ type: MessageType.heartbeat, t: Date.now() }), 2_000);
  return {
    id,
    corrupted: () => swarm.corruptedFrames,
    linked: () => swarm.peerIds(),
    hold: (desc, bytes) => swarm.hold(desc, bytes),
    announce: (signed) => swarm.announce(signed),
    stop: () => {
      clearInterval(heartbeat);
      heartbeat = undefined;
      mesh.stop();
      swarm.close();
      peer.destroy();
      ws.close();
    },
  };
}
