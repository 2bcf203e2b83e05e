/**
 * Content-Security-Policy checks for browser tests: record every violation a page reports (its
 * `securitypolicyviolation` events and Chromium's "Refused to …" console errors), switch a page's
 * policy off as a control, and a canary HTTP server on loopback that records every request reaching it.
 */
import { createServer, type Server } from 'node:http';
import * as v from 'valibot';
import type { Page } from 'playwright-core';

const ViolationsSchema = v.array(v.string());

/** Where the init script keeps the page's violations. */
const STORE = '__patchcastCspViolations';

/**
 * Starts recording on every document `page` loads from now on. Returns a function that reads what
 * the current document and the console reported so far (`directive blocked-uri` per violation).
 */
export async function recordCspViolations(page: Page): Promise<() => Promise<string[]>> {
  const fromConsole: string[] = [];
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to /i.test(text)) fromConsole.push(`console: ${text}`);
  });
  await page.addInitScript((store: string) => {
    const seen: string[] = [];
    Reflect.set(window, store, seen);
    document.addEventListener('securitypolicyviolation', (e) => {
      seen.push(`${e.effectiveDirective} ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  }, STORE);
  return async () => {
    const raw: unknown = await page.evaluate((store: string) => Reflect.get(window, store), STORE);
    const parsed = v.safeParse(ViolationsSchema, raw ?? []);
    if (!parsed.success) throw new Error('the violation recorder was not installed on this page');
    return [...parsed.output, ...fromConsole];
  };
}

/**
 * Makes Chromium ignore the Content-Security-Policy of the documents `page` loads from now on (and
 * of the workers they start): the control that shows a test would notice a missing policy.
 */
export async function bypassCsp(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Page.setBypassCSP', { enabled: true });
}

/** A server on 127.0.0.1 that answers every request with a tiny JS module and remembers it. */
export interface Canary {
  readonly port: number;
  /** `METHOD /path` of every request so far. */
  readonly hits: readonly string[];
  close(): Promise<void>;
}

/** Starts a {@link Canary}. */
export async function startCanary(): Promise<Canary> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method ?? '?'} ${req.url ?? ''}`);
    res
      .writeHead(200, { 'content-type': 'text/javascript', 'access-control-allow-origin': '*' })
      .end('export const reached = true;');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('canary is not listening on TCP');
  return {
    port: address.port,
    hits,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
