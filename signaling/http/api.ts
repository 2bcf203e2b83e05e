/**
 * The HTTP API (`/api/*`, `/healthz`, `/metrics`). Every request body goes through a validator of
 * `protocol/http.ts`; every refusal is `{ error: { code, message, missing? } }` with a 4xx status
 * (`respond.ts`). CORS is open to any origin: the admin site may be hosted anywhere, and the authority
 * is the signature on what it sends, not where it comes from. The routes live in one file per area.
 */
import express, { type Router } from 'express';
import { ErrorCode } from '../../protocol/index.ts';
import { PLAYER_BLOB_HEADER } from '../../protocol/http.ts';
import { adoptionRoutes } from './adoption-routes.ts';
import { apiContext, type ApiDeps } from './api-context.ts';
import { blobRoutes } from './blob-routes.ts';
import { publishRoutes } from './publish-routes.ts';
import { refuse, safe } from './respond.ts';
import { roomRoutes } from './room-routes.ts';

export type { ApiDeps, Presence } from './api-context.ts';
export { apiErrorHandler, httpStatusOf } from './respond.ts';
export { MAX_ROTATION_BODY_BYTES } from './publish-routes.ts';

/** Builds the API router. */
export function apiRouter(deps: ApiDeps): Router {
  const { relay, hub, metrics } = deps;
  const ctx = apiContext(deps);
  const router = express.Router();

  router.use('/api', (req, res, next) => {
    res.set('access-control-allow-origin', '*');
    res.set('access-control-allow-methods', 'GET, HEAD, POST, PUT, OPTIONS');
    // `patchcast-player` (PLAYER_BLOB_HEADER): a page on another origin than its relay asks for
    // whole blobs with it, and a preflight that refused it would cost every such blob a round trip.
    res.set('access-control-allow-headers', `content-type, authorization, ${PLAYER_BLOB_HEADER}`);
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

  router.use(roomRoutes(ctx));
  router.use(publishRoutes(ctx));
  router.use(blobRoutes(ctx));
  router.use(adoptionRoutes(ctx));
  router.use('/api', (_req, res) => refuse(res, ErrorCode.BAD_MESSAGE, 'no such API endpoint'));

  return router;
}
