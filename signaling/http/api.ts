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
  /** Largest publish body (JSON with base64 blobs). */
  readonly maxBodyBytes: number;
  readonly startedAt: number;
}

/** The HTTP status that goes with a refusal code. */
export function httpStatusOf(code: Code): number {
  switch (code) {
    case ErrorCode.UNKNOWN_KEY:
    case ErrorCode.BAD_SIGNATURE:
    case ErrorCode.FORBIDDEN:
      return 403;
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
  const rawAny = (limit: number) => express.raw({ type: () => true, limit });

  router.use('/api', (req, res, next) => {
    res.set('access-control-allow-origin', '*');
    res.set('access-control-allow-methods', 'GET, HEAD, POST, PUT, OPTIONS');
    res.set('access-control-allow-headers', 'content-type');
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
    rawAny(deps.maxBodyBytes),
    safe(async (req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const json = parseJson(req.body);
      if (!json.ok) {
        metrics.refusals.inc({ code: ErrorCode.BAD_JSON, source: 'publish' });
        return refuse(res, ErrorCode.BAD_JSON, json.message);
      }
      const body = parsePublishBody(json.value);
      if (!body.ok) {
        metrics.refusals.inc({ code: body.code, source: 'publish' });
        return refuse(res, body.code, body.message);
      }
      const blobs = new Map<string, Uint8Array>();
      for (const [sha, b64] of Object.entries(body.value.blobs ?? {})) {
        blobs.set(sha, new Uint8Array(Buffer.from(b64, 'base64')));
      }
      const result = await relay.publish({
        room,
        candidate: body.value.signed,
        blobs,
        ...(body.value.publicKey === undefined ? {} : { publicKey: body.value.publicKey }),
      });
      if (!result.ok) {
        metrics.refusals.inc({ code: result.code, source: 'publish' });
        return refuse(res, result.code, result.message, result.missing);
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
    rawAny(MAX_ROTATION_BODY_BYTES),
    safe(async (req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const json = parseJson(req.body);
      if (!json.ok) return refuse(res, ErrorCode.BAD_JSON, json.message);
      const result = await relay.rotate(room, json.value);
      if (!result.ok) {
        metrics.refusals.inc({ code: result.code, source: 'rotation' });
        return refuse(res, result.code, result.message);
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
    rawAny(MAX_TEXTURE_BYTES),
    safe(async (req, res) => {
      const sha = shaParam(req, res);
      if (sha === null) return;
      const body: unknown = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0)
        return refuse(res, ErrorCode.BAD_MESSAGE, 'empty body');
      const bytes = new Uint8Array(body.buffer, body.byteOffset, body.length);
      const result = await relay.upload(sha, bytes);
      if (!result.ok) {
        metrics.refusals.inc({ code: result.code, source: 'upload' });
        return refuse(res, result.code, result.message);
      }
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
  if ((typeof type === 'string' && type.startsWith('entity.')) || type === 'request.aborted') {
    return refuse(res, ErrorCode.BAD_MESSAGE, `bad request body (${type})`);
  }
  refuse(res, ErrorCode.INTERNAL, 'internal error');
}
