/**
 * Release forwarding: a player that accepted a release passes it on to each link whose seq is lower,
 * once; a release a peer passes on goes to the owner, who checks it with `acceptRelease`.
 *
 * Junk releases cost little: one check at a time per peer (a newer release it sends meanwhile waits,
 * replacing any older one waiting), a forged one bans its sender at once, and a peer whose releases
 * are refused {@link MAX_REFUSED_RELEASES} times (unknown key, stale, expired) is dropped and banned.
 */
import { ErrorCode, type Result } from '../../protocol/errors.ts';
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

/** The owner's word on a release a peer passed on. */
export type ReleaseVerdict = 'accepted' | 'refused' | 'forged';

/** Refusals no honest peer causes: the sender is banned. */
const FORGED: ReadonlySet<string> = new Set([
  ErrorCode.BAD_RELEASE,
  ErrorCode.WRONG_ROOM,
  ErrorCode.BAD_SIGNATURE,
  ErrorCode.BAD_SLOT,
]);

/**
 * The verdict on a passed-on release from the owner's `acceptRelease` result (none: accepted). An
 * honest peer passes on only what it accepted, so a forged or malformed release is `forged`; a
 * stale, expired or not-yet-trusted one may be an honest race or clock skew: `refused`.
 */
export function verdictOf(result: Result<unknown> | undefined): ReleaseVerdict {
  if (!result || result.ok) return 'accepted';
  return FORGED.has(result.code) ? 'forged' : 'refused';
}

/** The owner's check of a passed-on release (`acceptRelease`); no verdict counts as accepted. */
export type ReleaseCheck = (candidate: SignedRelease, fromPeer: string) => void | Promise<ReleaseVerdict>;

/** Refused releases from one peer before it is dropped and banned. */
export const MAX_REFUSED_RELEASES = 3;

interface Sender {
  checking: boolean;
  waiting: SignedRelease | null;
  refused: number;
}

/** Releases peers pass on, on their way to the owner's check. */
export class ReleaseInbox {
  private readonly senders = new WeakMap<PeerState, Sender>();

  constructor(
    private readonly check: ReleaseCheck | undefined,
    /** Our seq now: a release at or below it is not checked. */
    private readonly seq: () => number,
    private readonly ban: (peer: PeerState) => void,
  ) {}

  /** A release `peer` passed on. */
  receive(peer: PeerState, signed: SignedRelease): void {
    if (!this.check || signed.release.seq <= this.seq()) return;
    let sender = this.senders.get(peer);
    if (!sender) this.senders.set(peer, (sender = { checking: false, waiting: null, refused: 0 }));
    if (sender.checking) {
      if (!sender.waiting || sender.waiting.release.seq < signed.release.seq) sender.waiting = signed;
      return;
    }
    sender.checking = true;
    void this.judge(peer, sender, signed);
  }

  private async judge(peer: PeerState, sender: Sender, signed: SignedRelease): Promise<void> {
    let verdict: ReleaseVerdict;
    try {
      verdict = (await this.check?.(signed, peer.link.id)) ?? 'accepted';
    } catch {
      verdict = 'accepted'; // the owner's own trouble is not the peer's fault
    }
    if (verdict === 'forged' || (verdict === 'refused' && ++sender.refused >= MAX_REFUSED_RELEASES)) {
      sender.waiting = null;
      this.ban(peer);
    }
    const next = sender.waiting;
    sender.waiting = null;
    if (next && next.release.seq > this.seq()) void this.judge(peer, sender, next);
    else sender.checking = false;
  }
}
