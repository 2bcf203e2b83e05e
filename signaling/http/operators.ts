/**
 * Who may create a room on this relay: its operators, who show the operator token
 * (`Authorization: Bearer <token>`), compared in constant time. A relay started with `--open-rooms`
 * also lets anyone create rooms, at most {@link RoomCreationPolicy.maxRoomsPerAddress} per address and
 * never a reserved room (the seed room: seed clients run its script unsandboxed).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ErrorCode } from '../../protocol/index.ts';
import { OpenRoomCounts } from './open-room-counts.ts';

/** Shortest operator token the relay accepts (a guessable token is no credential). */
export const MIN_OPERATOR_TOKEN_LENGTH = 16;

/** Default rooms one address may create on an open relay. */
export const DEFAULT_OPEN_ROOMS_PER_ADDRESS = 5;

/** The relay's rules for creating rooms. */
export interface RoomCreationPolicy {
  /** The operator token, or null: then no request is an operator's. */
  readonly operatorToken: string | null;
  /** Anyone may create rooms (within the per-address quota). */
  readonly openRooms: boolean;
  readonly maxRoomsPerAddress: number;
  /** Rooms only an operator may create, open relay or not. */
  readonly reserved: ReadonlySet<string>;
  /** Where the per-address counts are kept across restarts (the server sets `DATA_DIR/open-rooms.json`). */
  readonly countsFile?: string;
}

/** Nobody creates rooms over HTTP: what a relay with no operator token and no `--open-rooms` does. */
export const CLOSED_ROOMS: RoomCreationPolicy = {
  operatorToken: null,
  openRooms: false,
  maxRoomsPerAddress: 0,
  reserved: new Set(),
};

/** True when the two strings are equal, in time that does not depend on where they differ. */
export function tokensEqual(a: string, b: string): boolean {
  // Hashing first gives equal lengths, so timingSafeEqual never throws and length leaks nothing.
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The bearer token of a request's `Authorization` header, or null. */
export function bearerToken(headers: IncomingHttpHeaders): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1] ?? null;
}

/** A decision on a request that would create a room. */
export type CreationDecision =
  | {
      readonly ok: true;
      readonly operator: boolean;
      readonly release: () => void;
      readonly commit: () => void;
    }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/**
 * Open-room counts held for several relay nodes (a cluster's Redis): an address's creations count
 * on every node. `reserve` resolves false when the address made `max` already.
 */
export interface SharedRoomQuota {
  reserveRoom(address: string, max: number): Promise<boolean>;
  unreserveRoom(address: string): void;
}

/** Applies a {@link RoomCreationPolicy} and keeps the open relay's per-address counts. */
export class RoomCreation {
  private readonly created: OpenRoomCounts;
  private readonly reserving = new Map<string, number>();

  constructor(
    readonly policy: RoomCreationPolicy,
    log: (message: string) => void = () => {},
    /** In a cluster: the counts every node shares (then the data dir's file is not used). */
    private readonly shared: SharedRoomQuota | null = null,
  ) {
    this.created = new OpenRoomCounts(policy.openRooms ? (policy.countsFile ?? null) : null, log);
  }

  /** May this request (its headers, its address) create `room`? A yes holds a quota place until released or committed. */
  async decide(room: string, headers: IncomingHttpHeaders, address: string): Promise<CreationDecision> {
    const { policy } = this;
    const token = bearerToken(headers);
    if (token !== null) {
      if (policy.operatorToken !== null && tokensEqual(token, policy.operatorToken)) {
        return { ok: true, operator: true, release: () => {}, commit: () => {} };
      }
      return { ok: false, code: ErrorCode.OPERATOR_REQUIRED, message: 'the operator token is wrong' };
    }
    const refusal = {
      ok: false,
      code: ErrorCode.OPERATOR_REQUIRED,
      message: `room "${room}" does not exist, and only an operator of the relay may create rooms (Authorization: Bearer <operator token>)`,
    } as const;
    if (!policy.openRooms || policy.reserved.has(room)) return refusal;
    const overQuota = {
      ok: false,
      code: ErrorCode.QUOTA_EXCEEDED,
      message: `this address has created ${policy.maxRoomsPerAddress} room(s), the most this relay allows`,
    } as const;
    if (this.shared) return this.decideShared(this.shared, address, overQuota);
    const used = this.created.count(address) + (this.reserving.get(address) ?? 0);
    if (used >= policy.maxRoomsPerAddress) return overQuota;
    this.reserving.set(address, (this.reserving.get(address) ?? 0) + 1);
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      const left = (this.reserving.get(address) ?? 1) - 1;
      if (left > 0) this.reserving.set(address, left);
      else this.reserving.delete(address);
    };
    return {
      ok: true,
      operator: false,
      release,
      commit: () => {
        if (done) return;
        release();
        this.created.add(address);
      },
    };
  }

  /** The cluster's quota: a reservation in Redis, given back unless the room is created. */
  private async decideShared(
    shared: SharedRoomQuota,
    address: string,
    overQuota: CreationDecision,
  ): Promise<CreationDecision> {
    if (!(await shared.reserveRoom(address, this.policy.maxRoomsPerAddress))) return overQuota;
    let done = false;
    return {
      ok: true,
      operator: false,
      release: () => {
        if (done) return;
        done = true;
        shared.unreserveRoom(address);
      },
      commit: () => {
        done = true;
      },
    };
  }
}
