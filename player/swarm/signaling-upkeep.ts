/**
 * Keeps a registered PeerJS peer on its signaling server: links stay up without it, but new ones need
 * it. Dropped (`disconnected`), the peer reconnects after {@link RECONNECT_MS} — 1 s first, backing
 * off to every 30 s, from the start again once it is back; closed for good, the owner hears it.
 */
import type { Peer } from 'peerjs';

/** Waits before reconnecting to the signaling server after it dropped us: the last one repeats. */
export const RECONNECT_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/** What {@link keepSignaling} asks of, and tells, the peer's owner. */
export interface SignalingWatch {
  /** True while the owner runs on this peer (`PlayerSwarm`: its state is `open`): reconnect only then. */
  running(): boolean;
  /** A PeerJS error worth showing (not a dial to a player who left: the mesh handles those). */
  trouble(message: string): void;
  /** The peer closed for good while running. */
  closed(): void;
}

/** Watches `peer` (see the file comment); `stop` cancels a reconnect still to come. */
export function keepSignaling(peer: Peer, watch: SignalingWatch): { stop(): void } {
  let reconnects = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  peer.on('error', (error) => {
    if (error.type !== 'peer-unavailable') watch.trouble(`${error.type}: ${error.message}`);
  });
  peer.on('disconnected', () => {
    if (!watch.running() || peer.destroyed) return;
    const delay = RECONNECT_MS[Math.min(reconnects++, RECONNECT_MS.length - 1)]!;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (watch.running() && peer.disconnected && !peer.destroyed) peer.reconnect();
    }, delay);
  });
  peer.on('open', () => {
    reconnects = 0;
  });
  peer.on('close', () => {
    if (watch.running()) watch.closed();
  });
  return { stop: () => clearTimeout(timer) };
}
