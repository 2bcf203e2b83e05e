/**
 * Noticing a relay connection that died without closing (a half-open TCP connection: a NAT or a
 * proxy forgot it, a laptop slept, a network changed). The browser then reports nothing: sends are
 * swallowed by the kernel's buffer and no `close` ever comes. The relay sends nothing when there is
 * nothing to send, so silence alone proves little; the player asks a question the relay always
 * answers (`peers.get`) when it has heard nothing for a heartbeat interval, and gives the connection
 * up when {@link SILENT_TICKS} intervals pass without a word.
 */
/** Heartbeat intervals without anything from the relay (two unanswered questions) before it is dead. */
export declare const SILENT_TICKS = 3;
/** What to do on a heartbeat tick. */
export type LivenessVerdict = 'fine' | 'ask' | 'dead';
/** Counts heartbeat ticks without inbound traffic; see the file comment. */
export declare class Liveness {
    private heardSinceTick;
    private silentTicks;
    /** Something (anything) arrived from the relay. */
    heard(): void;
    /** A heartbeat interval passed: `ask` the relay something, or the connection is `dead`. */
    tick(): LivenessVerdict;
}
