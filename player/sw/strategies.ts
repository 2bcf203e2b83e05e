/**
 * The service worker's strategies, apart from the worker's globals so that they can be tested: the
 * caller hands in the cache and `fetch`.
 */

/** What {@link networkFirstPage} needs. */
export interface PageStrategy {
  /** The service worker's cache. */
  readonly cache: Pick<Cache, 'match' | 'put'>;
  readonly fetch: (request: Request, init: RequestInit) => Promise<Response>;
  /** The URL the page is cached under (`/base/play/`, no query string). */
  readonly page: string;
  /** Longest wait for the network's answer before the cached page is served. */
  readonly timeoutMs: number;
}

/**
 * The player page: the network's, and it is cached; the cached page when the network fails, takes
 * over `timeoutMs`, or answers with an error (a proxy's 502 while the relay is down, say) — the error
 * only when nothing is cached. A redirect is passed on as it is.
 */
export async function networkFirstPage(request: Request, strategy: PageStrategy): Promise<Response> {
  const { cache, page } = strategy;
  const cached = () => cache.match(page, { ignoreSearch: true });
  let response: Response;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), strategy.timeoutMs);
  try {
    response = await strategy.fetch(request, { signal: controller.signal });
  } catch {
    return (
      (await cached()) ?? new Response('Patchcast player: offline, and not cached yet.', { status: 503 })
    );
  } finally {
    clearTimeout(timer);
  }
  if (response.ok) {
    await cache.put(page, response.clone());
    return response;
  }
  if (response.type === 'opaqueredirect') return response;
  return (await cached()) ?? response;
}
