/**
 * The player's service worker: the player page opens with the relay down.
 *
 * - install: precache the player page and its hashed assets (the list is written in at build time);
 * - the player page (a navigation under `play/`): network first, the cached page when the network
 *   fails, takes over 3 s or answers with an error (a proxy's 5xx) — whatever the query string (room
 *   and key vary); see `strategies.ts`;
 * - `_astro/*` (content-hashed, immutable): cache first;
 * - everything else, and always `/api/`, `/ws` and `/peerjs`: not touched, straight to the network.
 *   Patches live in IndexedDB, verified; the service worker never caches relay data.
 */

import { networkFirstPage } from './strategies.ts';

// Written in by the build (`build-sw.mjs`).
declare const __PRECACHE__: readonly string[];
declare const __CACHE_VERSION__: string;

// This file is compiled on its own for a service worker scope; the project's TypeScript program
// uses the DOM library, so the few service worker types it needs are declared here.
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface ServiceWorkerScope {
  readonly location: Location;
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
}
declare const self: ServiceWorkerScope;

const PREFIX = 'patchcast-player-';
const CACHE = `${PREFIX}${__CACHE_VERSION__}`;
/** `/base/play/sw.js` → `/base/` */
const BASE = self.location.pathname.replace(/play\/sw\.js$/, '');
const PAGE = `${BASE}play/`;
const NETWORK_TIMEOUT_MS = 3_000;

function neverCached(path: string): boolean {
  return /\/(api|peerjs)(\/|$)/.test(path) || /\/ws$/.test(path);
}

async function cacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([...__PRECACHE__]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || neverCached(url.pathname)) return;
  if (request.mode === 'navigate' && url.pathname.startsWith(PAGE)) {
    event.respondWith(
      caches.open(CACHE).then((cache) =>
        networkFirstPage(request, {
          cache,
          fetch: (r, init) => fetch(r, init),
          page: PAGE,
          timeoutMs: NETWORK_TIMEOUT_MS,
        }),
      ),
    );
  } else if (url.pathname.startsWith(`${BASE}_astro/`)) {
    event.respondWith(cacheFirst(request));
  }
});
