/**
 * The write side of rooms: `POST /api/rooms/:room/releases` (a signed release, as JSON or as a
 * bundle with its big blobs: `bundle-publish.ts`) and
 * `POST /api/rooms/:room/keys` (a signed key rotation). Either may create the room, if the gate allowed it.
 */
import express, { type Router } from 'express';
import { BUNDLE_CONTENT_TYPE, ErrorCode, parsePublishBody, type KeysBody } from '../../protocol/index.ts';
import type { ApiContext } from './api-context.ts';
import { bundlePublish } from './bundle-publish.ts';
import { answerPublish, publishInput } from './publishing.ts';
import { parseJson, roomParam, safe } from './respond.ts';

/** Largest key-rotation body: a key set of 16 keys with 32 signatures is about 5 KB. */
export const MAX_ROTATION_BODY_BYTES = 64 * 1024;

/** The room write routes. */
export function publishRoutes(ctx: ApiContext): Router {
  const { relay, maxBodyBytes } = ctx.deps;
  const router = express.Router();
  const bundle = bundlePublish(ctx);

  router.post(
    '/api/rooms/:room/releases',
    ctx.gate('publish', true),
    // A bundle (the release and its big blobs' raw bytes in one body) is read as it streams in.
    (req, res, next) => (req.is(BUNDLE_CONTENT_TYPE) ? bundle(req, res, next) : next()),
    ctx.rawBody(maxBodyBytes),
    safe(async (req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const json = parseJson(req.body);
      if (!json.ok) return ctx.refuseCounted(req, res, 'publish', ErrorCode.BAD_JSON, json.message);
      const body = parsePublishBody(json.value);
      if (!body.ok) return ctx.refuseCounted(req, res, 'publish', body.code, body.message);
      const result = await relay.publish(publishInput(ctx, req, room, body.value));
      if (!result.ok) {
        return ctx.refuseCounted(req, res, 'publish', result.code, result.message, result.missing);
      }
      answerPublish(ctx, req, res, room, result);
    }),
  );

  router.post(
    '/api/rooms/:room/keys',
    ctx.gate('rotation', true),
    ctx.rawBody(MAX_ROTATION_BODY_BYTES),
    safe(async (req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const json = parseJson(req.body);
      if (!json.ok) return ctx.refuseCounted(req, res, 'rotation', ErrorCode.BAD_JSON, json.message);
      const result = await relay.rotate(room, json.value, ctx.creationOf(req) !== undefined);
      if (!result.ok) return ctx.refuseCounted(req, res, 'rotation', result.code, result.message);
      if (result.created) ctx.roomCreated(req, room);
      const body: KeysBody = { room, ...result.keys };
      res.status(result.created ? 201 : 200).json(body);
    }),
  );

  return router;
}
