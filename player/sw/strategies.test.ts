import { describe, expect, it } from 'vitest';
import { networkFirstPage, type PageStrategy } from './strategies.ts';

const PAGE = '/play/';

/** A cache holding at most the page. */
function pageCache(initial: string | null) {
  let stored: Response | null = initial === null ? null : new Response(initial, { status: 200 });
  const cache: PageStrategy['cache'] = {
    match: async () => stored?.clone(),
    put: async (_key, response) => {
      stored = response;
    },
  };
  return cache;
}

function strategy(cache: PageStrategy['cache'], answer: PageStrategy['fetch']): PageStrategy {
  return { cache, fetch: answer, page: PAGE, timeoutMs: 200 };
}

const request = () => new Request('http://127.0.0.1/play/?room=demo&key=k');

describe('networkFirstPage', () => {
  it("serves the network's page, and caches it", async () => {
    const cache = pageCache(null);
    const r = await networkFirstPage(
      request(),
      strategy(cache, async () => new Response('fresh')),
    );
    expect(await r.text()).toBe('fresh');
    expect(await (await cache.match(PAGE))?.text()).toBe('fresh');
  });

  it("serves the cached page instead of a proxy's 502 (and keeps it cached)", async () => {
    const cache = pageCache('cached page');
    const r = await networkFirstPage(
      request(),
      strategy(cache, async () => new Response('Bad Gateway', { status: 502 })),
    );
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('cached page');
    expect(await (await cache.match(PAGE))?.text()).toBe('cached page');
  });

  it('passes the error on when nothing is cached', async () => {
    const r = await networkFirstPage(
      request(),
      strategy(pageCache(null), async () => new Response('Bad Gateway', { status: 502 })),
    );
    expect(r.status).toBe(502);
  });

  it('serves the cached page when the network fails or is too slow', async () => {
    const down = await networkFirstPage(
      request(),
      strategy(pageCache('cached page'), async () => Promise.reject(new TypeError('Failed to fetch'))),
    );
    expect(await down.text()).toBe('cached page');
    const slow = await networkFirstPage(
      request(),
      strategy(
        pageCache('cached page'),
        (_: Request, init: RequestInit) =>
          new Promise<Response>((_resolve, reject) =>
            init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
          ),
      ),
    );
    expect(await slow.text()).toBe('cached page');
  });
});
