/**
 * The HTTP API (`/api/*`, `/healthz`, `/metrics`). Every request body goes through a validator of
 * `protocol/http.ts`; every refusal is `{ error: { code, message, missing? } }` with a 4xx status.
 * CORS is open to any origin: the admin site may be hosted anywhere, and the authority is the
 * signature on what it sends, not where it comes from.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import * as v from 'valibot';
import {
  ErrorCode,
  MAX_TEXTURE_BYTES,
  RoomName,
  Sha256Hex,
  errorBody,
  parsePublishBody,
  type ErrorCode as Code,
  type HistoryBody,
  type KeysBody,
  type Published,
  type RoomsBody,
  type Roster,
  type RosterBody,
} from '../../protocol/index.ts';
import type { Metrics } from '../metrics.ts';
import type { Relay } from '../relay/relay.ts';
import { CLOSED_ROOMS, RoomCreation, type CreationDecision, type RoomCreationPolicy } from './operators.ts';
import { refusalLogger } from './refusal-log.ts';

/** What the API reads of who is connected (the hub): live state that no store holds. */
export interface Presence {
  /** Live connections. */
  readonly size: number;
  /** Connected clients of a room. */
  clientCount(room: string): number;
  /** The roster of a room. */
  rosterOf(room: string): Roster;
}

/** Largest key-rotation body: one signed record is well under a kilobyte. */
export const MAX_ROTATION_BODY_BYTES = 64 * 1024;

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
}

/** The HTTP status that goes with a refusal code. */
export function httpStatusOf(code: Code): number {
  switch (code) {
    case ErrorCode.UNKNOWN_KEY:
    case ErrorCode.BAD_SIGNATURE:
    case ErrorCode.FORBIDDEN:
    case ErrorCode.UPLOAD_NOT_EXPECTED:
      return 403;
    case ErrorCode.OPERATOR_REQUIRED:
      return 401;
    case ErrorCode.QUOTA_EXCEEDED:
      return 429;
    case ErrorCode.UNSUPPORTED_ENCODING:
      return 415;
    case ErrorCode.NO_SUCH_ROOM:
      return 404;
    case ErrorCode.STALE_SEQ:
    case ErrorCode.BLOB_MISSING:
    case ErrorCode.ROOM_QUARANTINED:
      return 409;
    case ErrorCode.TOO_LARGE:
    case ErrorCode.FRAME_TOO_LARGE:
      return 413;
    case ErrorCode.EXPIRED:
    case ErrorCode.FROM_FUTURE:
    case ErrorCode.BAD_SLOT:
    case ErrorCode.BAD_IMAGE:
    case ErrorCode.BAD_CONFIG:
    case ErrorCode.BAD_SCRIPT:
    case ErrorCode.HASH_MISMATCH:
      return 422;
    case ErrorCode.INTERNAL:
      return 500;
    case ErrorCode.SERVER_SHUTDOWN:
      return 503;
    default:
      return 400;
  }
}

function refuse(
  res: Response,
  code: Code,
  message: string,
  missing?: readonly string[],
  status = httpStatusOf(code),
): void {
  res
    .status(status)
    .set('cache-control', 'no-store')
    .json(errorBody(code, message, missing));
}

/** The address a request came from, for quotas and logs. */
function addressOf(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}

function roomParam(req: Request, res: Response): string | null {
  const room = req.params['room'];
  if (!v.is(RoomName, room)) {
    refuse(res, ErrorCode.BAD_MESSAGE, 'invalid room name');
    return null;
  }
  return room;
}

function shaParam(req: Request, res: Response): string | null {
  const sha = req.params['sha256'];
  if (!v.is(Sha256Hex, sha)) {
    refuse(res, ErrorCode.BAD_MESSAGE, 'invalid sha256');
    return null;
  }
  return sha;
}

function parseJson(body: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  if (!Buffer.isBuffer(body)) return { ok: false, message: 'missing body' };
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    return { ok: true, value };
  } catch (error) {
    return {
      ok: false,
      message: `body is not UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

type Handler = (req: Request, res: Response) => Promise<void> | void;

/** Express 4 does not catch a rejected handler: route the rejection to the error handler. */
function safe(handler: Handler) {
  return (req: Request, res: Response, next: NextFunction) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch(next);
  };
}

/** Builds the API router. */
export function apiRouter(deps: ApiDeps): Router {
  const { relay, hub, metrics } = deps;
  const router = express.Router();
  // Bodies are read only as plain bytes within `limit` (from Content-Length, before a byte is read):
  // a compressed body is refused, never inflated.
  const rawAny = (limit: number) => express.raw({ type: () => true, limit, inflate: false });
  const creation = new RoomCreation(deps.creation ?? CLOSED_ROOMS);
  const logRefusal = refusalLogger(deps.log ?? (() => {}));
  /** A refusal that is counted in /metrics and logged. */
  const refuseCounted = (
    req: Request,
    res: Response,
    source: string,
    code: Code,
    message: string,
    missing?: readonly string[],
  ): void => {
    metrics.refusals.inc({ code, source });
    logRefusal(source, code, message, addressOf(req));
    refuse(res, code, message, missing);
  };
  /** Locals a gate leaves for its handler. */
  const decisions = new WeakMap<Request, Extract<CreationDecision, { ok: true }>>();
  /**
   * Before a body is read: refuse a compressed one, and a request that would create a room its sender
   * may not create (the cheapest checks first: no byte of the body has been read yet).
   */
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
          const decision = creation.decide(room, req.headers, addressOf(req));
          if (!decision.ok) return refuseCounted(req, res, source, decision.code, decision.message);
          decisions.set(req, decision);
          res.once('close', decision.release);
        }
      }
      next();
    };

  router.use('/api', (req, res, next) => {
    res.set('access-control-allow-origin', '*');
    res.set('access-control-allow-methods', 'GET, HEAD, POST, PUT, OPTIONS');
    res.set('access-control-allow-headers', 'content-type, authorization');
    res.set('access-control-max-age', '600');
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  });

  router.get(
    '/healthz',
    safe((_req, res) => {
      res.set('cache-control', 'no-store').json({
        ok: true,
        uptimeMs: Date.now() - deps.startedAt,
        rooms: relay.roomCount(),
        connections: hub.size,
        // Rooms the data dir could not load (quarantined) or lacks something for (degraded).
        dataDir: relay.dataDir(),
      });
    }),
  );

  router.get(
    '/metrics',
    safe(async (_req, res) => {
      res.set('content-type', metrics.contentType).send(await metrics.text());
    }),
  );

  router.get(
    '/api/rooms',
    safe((_req, res) => {
      const body: RoomsBody = {
        rooms: relay.rooms().map((room) => ({
          room: room.room,
          seq: room.seq,
          version: room.version,
          updatedAt: room.updatedAt,
          clients: hub.clientCount(room.room),
          keys: room.keys,
          lastSeq: room.lastSeq,
          ...(room.degraded.length > 0 ? { degraded: [...room.degraded] } : {}),
        })),
        quarantined: relay.dataDir().quarantined.map((q) => ({ room: q.room, reason: q.reason })),
      };
      res.set('cache-control', 'no-store').json(body);
    }),
  );

  router.get(
    '/api/rooms/:room/release',
    safe((req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const quarantined = relay.quarantineReason(room);
      if (quarantined !== undefined) {
        return refuse(res, ErrorCode.ROOM_QUARANTINED, `room "${room}" is quarantined: ${quarantined}`);
      }
      const latest = relay.latest(room);
      if (!latest) return refuse(res, ErrorCode.NO_SUCH_ROOM, `room "${room}" has no release`);
      res.set('cache-control', 'no-store').json(latest);
    }),
  );

  router.get(
    '/api/rooms/:room/releases',
    safe((req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const releases = relay.history(room);
      if (!releases) return refuse(res, ErrorCode.NO_SUCH_ROOM, `no room "${room}"`);
      const body: HistoryBody = { room, releases, lastSeq: relay.lastSeq(room) };
      res.set('cache-control', 'no-store').json(body);
    }),
  );

  router.post(
    '/api/rooms/:room/releases',
    gate('publish', true),
    rawAny(deps.maxBodyBytes),
    safe(async (req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const json = parseJson(req.body);
      if (!json.ok) return refuseCounted(req, res, 'publish', ErrorCode.BAD_JSON, json.message);
      const body = parsePublishBody(json.value);
      if (!body.ok) return refuseCounted(req, res, 'publish', body.code, body.message);
      // The blobs stay base64 text here: the relay decodes only those the verified release names.
      const decision = decisions.get(req);
      const result = await relay.publish({
        room,
        candidate: body.value.signed,
        blobs: new Map(Object.entries(body.value.blobs ?? {})),
        mayCreate: decision !== undefined,
        ...(body.value.publicKey === undefined ? {} : { publicKey: body.value.publicKey }),
      });
      if (!result.ok) {
        return refuseCounted(req, res, 'publish', result.code, result.message, result.missing);
      }
      if (result.createdRoom) {
        decision?.commit();
        deps.log?.(
          `room "${room}" created by ${decision?.operator === true ? 'an operator' : `${addressOf(req)} (open rooms)`}`,
        );
      }
      const answer: Published = {
        room,
        seq: result.signed.release.seq,
        version: result.signed.release.version,
      };
      res.status(201).json(answer);
    }),
  );

  router.get(
    '/api/rooms/:room/clients',
    safe((req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const roster = hub.rosterOf(room);
      // Counts only: entries (ids, addresses) go to admins that proved a room key over /ws.
      const body: RosterBody = {
        room,
        seq: roster.seq,
        at: roster.at,
        count: roster.clients.length,
        clients: [],
      };
      res.set('cache-control', 'no-store').json(body);
    }),
  );

  router.get(
    '/api/rooms/:room/keys',
    safe((req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const keys = relay.keys(room);
      if (!keys) return refuse(res, ErrorCode.NO_SUCH_ROOM, `no room "${room}"`);
      const body: KeysBody = { room, ...keys };
      res.set('cache-control', 'no-store').json(body);
    }),
  );

  router.post(
    '/api/rooms/:room/keys',
    gate('rotation', true),
    rawAny(MAX_ROTATION_BODY_BYTES),
    safe(async (req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const json = parseJson(req.body);
      if (!json.ok) return refuseCounted(req, res, 'rotation', ErrorCode.BAD_JSON, json.message);
      const decision = decisions.get(req);
      const result = await relay.rotate(room, json.value, decision !== undefined);
      if (!result.ok) return refuseCounted(req, res, 'rotation', result.code, result.message);
      if (result.created) {
        decision?.commit();
        deps.log?.(
          `room "${room}" created by ${decision?.operator === true ? 'an operator' : `${addressOf(req)} (open rooms)`}`,
        );
      }
      const body: KeysBody = { room, ...result.keys };
      res.status(result.created ? 201 : 200).json(body);
    }),
  );

  router.get(
    '/api/blobs/:sha256',
    safe(async (req, res) => {
      const sha = shaParam(req, res);
      if (sha === null) return;
      const etag = `"${sha}"`;
      if (req.headers['if-none-match'] === etag && relay.hasBlob(sha)) {
        res.status(304).end();
        return;
      }
      const bytes = await relay.readBlob(sha);
      if (!bytes) return refuse(res, ErrorCode.BLOB_MISSING, `no blob ${sha}`, undefined, 404);
      res
        .set('content-type', relay.mimeOf(sha) ?? 'application/octet-stream')
        .set('cache-control', 'public, max-age=31536000, immutable')
        .set('etag', etag)
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    }),
  );

  router.put(
    '/api/blobs/:sha256',
    gate('upload', false),
    // Before the body is read: only a blob that a verified release named (and the relay lacks) may
    // come up, and no more bytes than that release declared for it.
    (req, res, next) => {
      const sha = shaParam(req, res);
      if (sha === null) return;
      const expected = relay.expectUpload(sha);
      if (!expected.ok) return refuseCounted(req, res, 'upload', expected.code, expected.message);
      if (expected.stored) {
        res.status(200).json({ sha256: sha, size: 0, stored: false });
        return;
      }
      rawAny(Math.min(expected.size, MAX_TEXTURE_BYTES))(req, res, next);
    },
    safe(async (req, res) => {
      const sha = shaParam(req, res);
      if (sha === null) return;
      const body: unknown = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0)
        return refuse(res, ErrorCode.BAD_MESSAGE, 'empty body');
      const bytes = new Uint8Array(body.buffer, body.byteOffset, body.length);
      const result = await relay.upload(sha, bytes);
      if (!result.ok) return refuseCounted(req, res, 'upload', result.code, result.message);
      const { stored } = result;
      res.status(stored ? 201 : 200).json({ sha256: sha, size: bytes.length, stored });
    }),
  );

  router.use('/api', (_req, res) => refuse(res, ErrorCode.BAD_MESSAGE, 'no such API endpoint'));

  return router;
}

/** Turns body-parser and unexpected errors into the API's error shape. */
export function apiErrorHandler(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(err);
  const type = typeof err === 'object' && err !== null && 'type' in err ? err.type : undefined;
  if (type === 'entity.too.large') return refuse(res, ErrorCode.TOO_LARGE, 'request body is over the limit');
  if (type === 'encoding.unsupported')
    return refuse(res, ErrorCode.UNSUPPORTED_ENCODING, 'compressed request bodies are not accepted');
  if ((typeof type === 'string' && type.startsWith('entity.')) || type === 'request.aborted') {
    return refuse(res, ErrorCode.BAD_MESSAGE, `bad request body (${type})`);
  }
  refuse(res, ErrorCode.INTERNAL, 'internal error');
}
