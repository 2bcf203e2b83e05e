/**
 * The roster: who is connected to a room and what they run. Every string in it that a client sent
 * (platform, versions, errors) was bounded by the protocol validators and is kept as plain data; the
 * relay never interprets it, and the admin site shows it as text.
 */
import {
  AckStatus,
  MAX_CLIENT_TEXT_LENGTH,
  MAX_SLOTS,
  MAX_VERSION_LENGTH,
  type Ack,
  type HeldSlot,
  type Role,
  type RosterClient,
  type RosterSlot,
  type Traffic,
  type Transport,
} from '../../protocol/index.ts';

/** The last ack of a client. */
type LastAck = NonNullable<RosterClient['lastAck']>;

/**
 * Most slots one roster entry keeps. The hub only records slots of the room's releases; this bounds
 * an entry even so (a client acking slots of many old releases), dropping the oldest recorded first.
 */
export const MAX_ROSTER_SLOTS = 2 * MAX_SLOTS;

/** What the relay knows of one connected client. */
export class RosterEntry {
  readonly connectedAt: string;
  lastHeartbeat: string;
  seq: number;
  readonly slots = new Map<string, RosterSlot>();
  lastAck: LastAck | undefined;
  traffic: Traffic = { bytesFromRelay: 0, bytesFromPeers: 0, peers: 0 };

  constructor(
    readonly clientId: string,
    readonly room: string,
    readonly role: Role,
    readonly transport: Transport,
    readonly platform: string,
    readonly address: string,
    seq: number,
    now = new Date(),
  ) {
    this.connectedAt = now.toISOString();
    this.lastHeartbeat = this.connectedAt;
    this.seq = seq;
  }

  /** Sets a slot, keeping at most {@link MAX_ROSTER_SLOTS} (the most recently recorded). */
  private record(name: string, slot: RosterSlot): void {
    this.slots.delete(name);
    this.slots.set(name, slot);
    for (const oldest of this.slots.keys()) {
      if (this.slots.size <= MAX_ROSTER_SLOTS) break;
      this.slots.delete(oldest);
    }
  }

  /** Records the slots a client said it holds in its hello (as applied). */
  recordHello(seq: number, slots: Readonly<Record<string, HeldSlot>>): void {
    for (const [name, held] of Object.entries(slots)) {
      this.record(name, { version: held.version, sha256: held.sha256, seq, status: AckStatus.applied });
    }
  }

  /** Records an ack. */
  ack(ack: Ack, now = new Date()): void {
    const error = ack.error === undefined ? {} : { error: ack.error };
    this.record(ack.slot, {
      version: ack.version,
      sha256: ack.sha256,
      seq: ack.seq,
      status: ack.status,
      ...error,
      ...(ack.running === undefined ? {} : { running: ack.running }),
    });
    if (ack.status !== AckStatus.failed && ack.seq > this.seq) this.seq = ack.seq;
    this.lastAck = { seq: ack.seq, slot: ack.slot, status: ack.status, ...error, at: now.toISOString() };
  }

  /** Records a seed client's `ack_update` (it names no hash; the slot's version is its label). */
  seedAck(slot: string, seq: number, version: string, success: boolean, now = new Date()): void {
    const status = success ? AckStatus.applied : AckStatus.failed;
    const error = success ? {} : { error: 'the client reported that it could not apply the update' };
    const label = version.slice(0, MAX_VERSION_LENGTH) || '?';
    this.record(slot, { version: label, seq, status, ...error });
    if (success && seq > this.seq) this.seq = seq;
    this.lastAck = { seq, slot, status, ...error, at: now.toISOString() };
  }

  /** Records a heartbeat. */
  beat(traffic: Traffic | undefined, now = new Date()): void {
    this.lastHeartbeat = now.toISOString();
    if (traffic) this.traffic = traffic;
  }

  /** The wire shape. */
  toJSON(): RosterClient {
    return {
      clientId: this.clientId,
      room: this.room,
      role: this.role,
      transport: this.transport,
      platform: this.platform.slice(0, MAX_CLIENT_TEXT_LENGTH),
      address: this.address.slice(0, MAX_CLIENT_TEXT_LENGTH),
      connectedAt: this.connectedAt,
      lastHeartbeat: this.lastHeartbeat,
      seq: this.seq,
      slots: Object.fromEntries(this.slots),
      ...(this.lastAck ? { lastAck: this.lastAck } : {}),
      traffic: this.traffic,
    };
  }
}

/**
 * A client id not used by another live connection: the requested one, or it with `-2`, `-3`, …
 * (shortened so the whole stays within 64 characters).
 */
export function uniqueClientId(requested: string, taken: (id: string) => boolean): string {
  if (!taken(requested)) return requested;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const id = `${requested.slice(0, 64 - suffix.length)}${suffix}`;
    if (!taken(id)) return id;
  }
}
