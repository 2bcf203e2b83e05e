/**
 * A module of the player's own, bundled by esbuild and loaded into a blank page of real Chromium as a
 * global — for tests of one part (the texture decode, the scene) without the whole demo page. The
 * page is served from http://127.0.0.1, a secure context (WebCodecs needs one; about:blank is none).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './admin-env.ts';

/** A browser with the bundle's page open; `close` ends both. */
export interface BundlePage {
  readonly ctx: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

/**
 * Bundles `source` (module text, its imports resolved from the repo's root) as the global `globalName`,
 * and opens a page whose body is `body` with it loaded.
 */
export async function openBundlePage(source: string, globalName: string, body = ''): Promise<BundlePage> {
  const bundle = await build({
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    format: 'iife',
    globalName,
    write: false,
    target: 'es2022',
  });
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>${globalName}</title>${body}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const ctx = await launchChromium();
  const page = await ctx.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
  return {
    ctx,
    page,
    close: async () => {
      await ctx.close();
      server.close();
    },
  };
}
