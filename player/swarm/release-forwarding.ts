/**
 * Release forwarding: a player that accepted a release passes it on to each link whose seq is lower,
 * once; a release a peer passes on goes to the owner, who checks it with `acceptRelease`.
 */
import type { SignedRelease } from '../../protocol/release.ts';
import { encodePeerMessage, MAX_PEER_TEXT_BYTES, PeerMessageType } from '../../protocol/swarm/wire.ts';
import type { PeerState } from './peer.ts';

/**
 * Sends a release once to `peer`: after this, the peer counts as holding it. A release too big for
 * one data channel message (huge chunk lists) is left to the relay. False if the link failed.
 */
export function sendRelease(peer: PeerState, signed: SignedRelease): boolean {
  const text = encodePeerMessage({ type: PeerMessageType.release, signed });
  if (text.length > MAX_PEER_TEXT_BYTES) return true;
  peer.seq = signed.release.seq;
  try {
    peer.link.send(text);
    return true;
  } catch {
    return false;
  }
}
