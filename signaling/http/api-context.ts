/**
 * What every API route shares: the relay and the hub it reads, and the gate in front of each body —
 * compressed bodies refused, room creation decided, refusals counted in /metrics and logged — all
 * before a byte of the body is read.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import * as v from 'valibot';
import { ErrorCode, RoomName, type ErrorCode as Code, type Roster } from '../../protocol/index.ts';
import type { Metrics } from '../metrics.ts';
import type { Relay } from '../relay/relay.ts';
import {
  CLOSED_ROOMS,
  RoomCreation,
  type CreationDecision,
  type RoomCreationPolicy,
  type SharedRoomQuota,
} from './operators.ts';
import { refusalLogger } from './refusal-log.ts';
import { addressOf, refuse } from './respond.ts';

/** What the API reads of who is connected (the hub): live state that no store holds. */
export interface Presence {
  /** Live connections. */
  readonly size: number;
  /** Connected clients of a room. */
  clientCount(room: string): number;
  /** The roster of a room. */
  rosterOf(room: string): Roster;
  /**
   * A player asks for a whole blob of `bytes` over HTTP (`PLAYER_BLOB_HEADER`): true, and counted in
   * the relay's blob egress, when the relay serves blobs at once (no egress limit); false under a
   * limit. Absent: always served.
   */
  takeBlobEgress?(bytes: number): boolean;
  /**
   * True when the relay's blob egress is limited: a player's whole-blob GET would be refused
   * (asked before the blob is read, whatever its size). Absent: never.
   */
  defersBlobs?(): boolean;
}

/** What the API needs. */
export interface ApiDeps {
  /** The relay service: every room, release, key and blob the API serves or changes goes through it. */
  readonly relay: Relay;
  readonly hub: Presence;
  readonly metrics: Metrics;
  /** Largest publish body (JSON with base64 blobs), checked against `Content-Length` before reading. */
  readonly maxBodyBytes: number;
  readonly startedAt: number;
  /** Who may create rooms (default: nobody over HTTP). */
  readonly creation?: RoomCreationPolicy;
  /** Where refusal log lines go (rate-limited; default: nowhere). */
  readonly log?: (message: string) => void;
  /** In a cluster: the open-room counts every node shares. */
  readonly roomQuota?: SharedRoomQuota;
}

/** A room creation the gate allowed, for the handler to commit once the room exists. */
export type Creation = Extract<CreationDecision, { ok: true }>;

/** The shared pieces the route files are built from. */
export interface ApiContext {
  readonly deps: ApiDeps;
  /** Reads the body as plain bytes within `limit` (from Content-Length, before a byte is read). */
  rawBody(limit: number): express.RequestHandler;
  /** A refusal that is counted in /metrics and logged. */
  refuseCounted(
    req: Request,
    res: Response,
    source: string,
    code: Code,
    message: string,
    missing?: readonly string[],
  ): void;
  /** Refuses a compressed body, and a room creation its sender may not make, before the body is read. */
  gate(source: string, createsRooms: boolean): express.RequestHandler;
  /** The creation the gate allowed for this request (undefined when the room exists). */
  creationOf(req: Request): Creation | undefined;
  /** Commits an allowed creation once the room exists, and says who created it. */
  roomCreated(req: Request, room: string): void;
}

/** Builds the shared route context. */
export function apiContext(deps: ApiDeps): ApiContext {
  const { relay, metrics } = deps;
  // A compressed body is refused, never inflated.
  const rawBody = (limit: number) => express.raw({ type: () => true, limit, inflate: false });
  const creation = new RoomCreation(deps.creation ?? CLOSED_ROOMS, deps.log, deps.roomQuota ?? null);
  const logRefusal = refusalLogger(deps.log ?? (() => {}));
  const decisions = new WeakMap<Request, Creation>();

  const refuseCounted: ApiContext['refuseCounted'] = (req, res, source, code, message, missing) => {
    metrics.refusals.inc({ code, source });
    logRefusal(source, code, message, addressOf(req));
    refuse(res, code, message, missing);
  };

  const gate =
    (source: string, createsRooms: boolean) => (req: Request, res: Response, next: NextFunction) => {
      const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      if (encoding !== 'identity') {
        return refuseCounted(
          req,
          res,
          source,
          ErrorCode.UNSUPPORTED_ENCODING,
          `Content-Encoding ${encoding} is not accepted`,
        );
      }
      if (createsRooms) {
        const room = req.params['room'];
        if (v.is(RoomName, room) && !relay.hasRoom(room)) {
          creation.decide(room, req.headers, addressOf(req)).then(
            (decision) => {
              if (!decision.ok) return refuseCounted(req, res, source, decision.code, decision.message);
              // The caller may have gone while Redis answered: nothing holds the place then.
              if (res.closed) return decision.release();
              decisions.set(req, decision);
              res.once('close', decision.release);
              next();
            },
            (error: unknown) => next(error),
          );
          return;
        }
      }
      next();
    };

  const roomCreated = (req: Request, room: string): void => {
    const decision = decisions.get(req);
    decision?.commit();
    deps.log?.(
      `room "${room}" created by ${decision?.operator === true ? 'an operator' : `${addressOf(req)} (open rooms)`}`,
    );
  };

  return { deps, rawBody, refuseCounted, gate, creationOf: (req) => decisions.get(req), roomCreated };
}
