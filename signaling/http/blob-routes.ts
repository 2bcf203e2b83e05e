/** `GET/PUT /api/blobs/:sha256`: content-addressed blobs, immutable once stored. */
import express, { type Router } from 'express';
import { ErrorCode, MAX_TEXTURE_BYTES, PLAYER_BLOB_HEADER } from '../../protocol/index.ts';
import type { ApiContext } from './api-context.ts';
import { readBodyInto } from './upload-body.ts';
import { refuse, safe, shaParam } from './respond.ts';

/** The blob routes. */
export function blobRoutes(ctx: ApiContext): Router {
  const { relay } = ctx.deps;
  const router = express.Router();

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
      // A player that could take it chunk by chunk (from the swarm) is sent there while the relay's
      // egress is limited: this route would bypass the budget. Cheap before expensive: a blob the
      // relay knows it holds is refused before the store is read (megabytes, maybe from disk or
      // Redis); one it doesn't know of is looked for first, so a missing blob is still a 404.
      const player = req.get(PLAYER_BLOB_HEADER) === '1';
      const deferred = () =>
        refuse(
          res,
          ErrorCode.BLOB_DEFERRED,
          'the relay meters its blob egress: take the blob chunk by chunk over /ws',
        );
      if (player && ctx.deps.hub.defersBlobs?.() === true && relay.hasBlob(sha)) return deferred();
      const bytes = await relay.readBlob(sha);
      if (!bytes) return refuse(res, ErrorCode.BLOB_MISSING, `no blob ${sha}`, undefined, 404);
      if (player && ctx.deps.hub.takeBlobEgress?.(bytes.length) === false) return deferred();
      res
        .set('content-type', relay.mimeOf(sha) ?? 'application/octet-stream')
        .set('cache-control', 'public, max-age=31536000, immutable')
        .set('etag', etag)
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    }),
  );

  router.put(
    '/api/blobs/:sha256',
    ctx.gate('upload', false),
    // Before the body is read: only a blob that a verified release named (and the relay lacks) may
    // come up, and no more bytes than that release declared for it. The body is hashed as it streams
    // in (the whole and each chunk), so the checks find the hashes taken when the last byte lands.
    safe(async (req, res) => {
      const sha = shaParam(req, res);
      if (sha === null) return;
      const expected = await relay.expectUpload(sha);
      if (!expected.ok) return ctx.refuseCounted(req, res, 'upload', expected.code, expected.message);
      if (expected.stored) {
        res.status(200).json({ sha256: sha, size: 0, stored: false });
        return;
      }
      const limit = Math.min(expected.size, MAX_TEXTURE_BYTES);
      const incoming = relay.incomingUpload(sha, limit, expected.chunkSize);
      try {
        await readBodyInto(req, incoming);
      } catch (error) {
        await incoming.drop();
        throw error;
      }
      if (incoming.length === 0) {
        await incoming.drop();
        return refuse(res, ErrorCode.BAD_MESSAGE, 'empty body');
      }
      const result = await relay.upload(incoming);
      if (!result.ok) return ctx.refuseCounted(req, res, 'upload', result.code, result.message);
      const { stored } = result;
      res.status(stored ? 201 : 200).json({ sha256: sha, size: incoming.length, stored });
    }),
  );

  return router;
}
