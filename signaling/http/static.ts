/**
 * Serves the built static site (`dist/`: the admin pages and the player at `/play/`) from the relay
 * process, so `npm start` is one URL. Astro's hashed assets (`/_astro/*`) never change and are cached
 * for a year; everything else is revalidated on each load, so a new build shows at once. No SPA
 * fallback: a path that is not a file (or a directory with an `index.html`) is a 404.
 */
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import express, { type Router } from 'express';

/**
 * The Content-Security-Policy of the script sandbox's worker file (`_astro/sandbox.worker-HASH.js`).
 * A worker started from its own URL runs under the policy of that response, not the page's: the
 * worker needs nothing — the page hands it the compiled engine and a port per call — so it may load,
 * connect to and run nothing else. Static hosts should send the same header for that file
 * (docs/security.md, "Script sandbox").
 */
export const SANDBOX_WORKER_CSP = "default-src 'none'";

/** The sandbox worker's file name as Vite emits it. */
const SANDBOX_WORKER_FILE = /^sandbox\.worker-[\w-]+\.js$/;

/**
 * Headers on every page the relay serves: no other site may frame them (clickjacking on the pages
 * that hold room keys). `frame-ancestors` works only as a header — browsers ignore it in the site's
 * `<meta>` policy (admin-site/lib/csp.ts) — so a static host must send these itself (docs/admin.md).
 */
export const FRAME_HEADERS = {
  'content-security-policy': "frame-ancestors 'none'",
  'x-frame-options': 'DENY',
} as const;

/** Serves `dir`; when it does not exist, every page says how to build it. */
export function staticRouter(dir: string): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set(FRAME_HEADERS);
    next();
  });
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
        if (SANDBOX_WORKER_FILE.test(path.split(sep).at(-1) ?? '')) {
          res.setHeader('content-security-policy', SANDBOX_WORKER_CSP);
        }
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
