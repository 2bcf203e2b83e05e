/**
 * PeerJS ids under the relay's rules. The server tells this registry which ids are registered on
 * `/peerjs` and from which address; a relay session that announces an id claims it. The relay lists a
 * peer to others only if its id is registered from the announcing session's own address, and no
 * session may claim an id another session holds or that is registered from another address: a player's
 * id cannot be squatted, and an id the relay never saw registered is never suggested.
 */
import { ErrorCode } from '../../protocol/index.ts';
import type { Conn } from './conn.ts';

/** Why a claim was refused. */
export interface PeerIdRefusal {
  readonly code: typeof ErrorCode.PEER_ID_REFUSED;
  readonly message: string;
}

/** The PeerJS ids of one hub. */
export class PeerIds {
  /** Registered on `/peerjs`: id → the address that registered it. */
  private readonly registered = new Map<string, string>();
  /** Announced by a relay session: id → that connection. */
  private readonly claims = new Map<string, Conn>();

  /** `/peerjs` accepted a registration of `id` from `address`. */
  register(id: string, address: string): void {
    this.registered.set(id, address);
  }

  /** The `/peerjs` socket of `id` closed. */
  unregister(id: string, address: string): void {
    if (this.registered.get(id) === address) this.registered.delete(id);
  }

  /** A session announces `id`; null if it now holds it, else why not. */
  claim(conn: Conn, id: string): PeerIdRefusal | null {
    const holder = this.claims.get(id);
    if (holder !== undefined && holder !== conn && holder.live) {
      return { code: ErrorCode.PEER_ID_REFUSED, message: `PeerJS id ${id} is another session's` };
    }
    const at = this.registered.get(id);
    if (at !== undefined && at !== conn.wire.address) {
      return {
        code: ErrorCode.PEER_ID_REFUSED,
        message: `PeerJS id ${id} is registered from another address`,
      };
    }
    this.claims.set(id, conn);
    return null;
  }

  /** A session is gone: its id is free. */
  release(conn: Conn): void {
    if (conn.peerId !== undefined && this.claims.get(conn.peerId) === conn) this.claims.delete(conn.peerId);
  }

  /** True if the relay may suggest `conn`'s PeerJS id: registered, from its own address, claimed by it. */
  listable(conn: Conn): boolean {
    const id = conn.peerId;
    return id !== undefined && this.claims.get(id) === conn && this.registered.get(id) === conn.wire.address;
  }
}
