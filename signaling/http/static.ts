/**
 * Serves the built static site (`dist/`: the admin pages and the player at `/play/`) from the relay
 * process, so `npm start` is one URL. Astro's hashed assets (`/_astro/*`) never change and are cached
 * for a year; everything else is revalidated on each load, so a new build shows at once. No SPA
 * fallback: a path that is not a file (or a directory with an `index.html`) is a 404.
 */
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import express, { type Router } from 'express';

/** Serves `dir`; when it does not exist, every page says how to build it. */
export function staticRouter(dir: string): Router {
  const router = express.Router();
  if (!existsSync(dir)) {
    router.get('/', (_req, res) => {
      res
        .status(503)
        .type('text/plain')
        .send(`The site is not built: run \`npm run build\` (looked for ${dir}).\n`);
    });
    return router;
  }
  router.use(
    express.static(dir, {
      index: ['index.html'],
      redirect: true,
      dotfiles: 'ignore',
      setHeaders(res, path) {
        if (path.split(sep).includes('_astro')) {
          res.setHeader('cache-control', 'public, max-age=31536000, immutable');
        } else {
          res.setHeader('cache-control', 'no-cache');
        }
        if (path.endsWith('.webmanifest')) res.setHeader('content-type', 'application/manifest+json');
      },
    }),
  );
  router.use((req, res) => {
    const notFound = join(dir, '404.html');
    res.status(404);
    if (req.accepts('html') && existsSync(notFound)) res.sendFile(notFound);
    else res.type('text/plain').send('Not found\n');
  });
  return router;
}
