/**
 * How the HTTP API answers: the status of each refusal code, the `{ error: { code, message } }` body,
 * the route parameters every route checks, and the error handler for what Express itself refuses.
 */
import type { NextFunction, Request, Response } from 'express';
import * as v from 'valibot';
import { requestAddress } from '../net/client-address.ts';
import { ErrorCode, RoomName, Sha256Hex, errorBody, type ErrorCode as Code } from '../../protocol/index.ts';

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
    case ErrorCode.RATE_LIMITED:
      return 429;
    case ErrorCode.STORAGE_FULL:
      return 507;
    case ErrorCode.BLOB_DEFERRED:
      return 503;
    case ErrorCode.UNSUPPORTED_ENCODING:
      return 415;
    case ErrorCode.NO_SUCH_ROOM:
    case ErrorCode.NO_SUCH_PLAN:
      return 404;
    case ErrorCode.STALE_SEQ:
    case ErrorCode.STALE_KEY_SET:
    case ErrorCode.KEY_SET_EXPIRED:
    case ErrorCode.BLOB_MISSING:
    case ErrorCode.ROOM_QUARANTINED:
    case ErrorCode.DUPLICATE_VERSION:
    case ErrorCode.BAD_PLAN:
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

/** Answers with a refusal: the code's status (or `status`), never cached. */
export function refuse(
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

/** The address a request came from, for quotas and logs (behind a trusted balancer: its client's). */
export function addressOf(req: Request): string {
  return requestAddress(req);
}

/** The `:room` parameter, or null after refusing an invalid one. */
export function roomParam(req: Request, res: Response): string | null {
  const room = req.params['room'];
  if (!v.is(RoomName, room)) {
    refuse(res, ErrorCode.BAD_MESSAGE, 'invalid room name');
    return null;
  }
  return room;
}

/** The `:sha256` parameter, or null after refusing an invalid one. */
export function shaParam(req: Request, res: Response): string | null {
  const sha = req.params['sha256'];
  if (!v.is(Sha256Hex, sha)) {
    refuse(res, ErrorCode.BAD_MESSAGE, 'invalid sha256');
    return null;
  }
  return sha;
}

/** A raw body as strict UTF-8 JSON. */
export function parseJson(body: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
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

/** A route handler that may be async. */
export type Handler = (req: Request, res: Response) => Promise<void> | void;

/** Express 4 does not catch a rejected handler: route the rejection to the error handler. */
export function safe(handler: Handler) {
  return (req: Request, res: Response, next: NextFunction) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch(next);
  };
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
  if (isStorageFull(err)) {
    return refuse(res, ErrorCode.STORAGE_FULL, 'the relay could not store this: its disk is full');
  }
  refuse(res, ErrorCode.INTERNAL, 'internal error');
}

/** Error codes of a write the disk refused for lack of space (or a read-only file system). */
const STORAGE_FULL_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);

/** True for an error of a write that failed for lack of space. */
export function isStorageFull(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return typeof code === 'string' && STORAGE_FULL_ERRNOS.has(code);
}
