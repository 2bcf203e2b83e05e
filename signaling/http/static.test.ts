import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_WORKER_CSP, staticRouter } from './static.ts';

let server: ReturnType<ReturnType<typeof express>['listen']>;
let base = '';

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'static-'));
  mkdirSync(join(dir, '_astro'));
  writeFileSync(join(dir, '_astro', 'sandbox.worker-Ab_3x-9.js'), 'export {};');
  writeFileSync(join(dir, '_astro', 'sandbox.Ab3x9.js'), 'export {};');
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  const app = express().use(staticRouter(dir));
  await new Promise<void>((ok) => (server = app.listen(0, '127.0.0.1', ok)));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

describe('staticRouter', () => {
  it("serves the sandbox worker under its own policy, default-src 'none'", async () => {
    const worker = await fetch(`${base}/_astro/sandbox.worker-Ab_3x-9.js`);
    expect(worker.status).toBe(200);
    expect(worker.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(SANDBOX_WORKER_CSP).toBe("default-src 'none'");
  });

  it('leaves every other file to the page’s own policy (the header only forbids framing)', async () => {
    for (const path of ['/_astro/sandbox.Ab3x9.js', '/']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    }
  });
});
