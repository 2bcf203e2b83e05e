/**
 * The CLI's HTTP client of the relay API (`http-fetch.ts`) against a real `node:http` server on
 * 127.0.0.1: what the relay API reads of an answer (status, JSON, bytes, a refusal's body), the
 * request as sent (method, headers, body), one connection for a command's requests, and an answer
 * past the size limit cut off as an error rather than read into memory.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayApi } from '../../publisher/relay-api.ts';
import { MAX_ANSWER_BYTES, nodeFetch } from './http-fetch.ts';

let server: Server;
let base: string;
const sockets = new Set<unknown>();
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
  if (req.url === '/json') return void res.end(JSON.stringify({ hello: 'world' }));
  if (req.url === '/bytes') return void res.end(Buffer.from([0, 1, 2, 255]));
  if (req.url === '/refused' || req.url?.startsWith('/api/')) {
    res.writeHead(404, 'Not Found', { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ error: { code: 'NO_SUCH_ROOM', message: 'no room x' } }));
  }
  if (req.url === '/huge') {
    // Streams past the limit without end: the client must stop reading.
    res.writeHead(200);
    const chunk = Buffer.alloc(1 << 20, 97);
    let sent = 0;
    const more = () => {
      while (sent <= MAX_ANSWER_BYTES + (4 << 20)) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    return more();
  }
  if (req.url === '/silent') return; // accepts, reads the request, never answers
  if (req.url === '/stops') {
    res.writeHead(200, { 'content-length': '100' });
    return void res.write('{"partial":'); // and then nothing, the connection open
  }
  if (req.url === '/cut') {
    res.writeHead(200, { 'content-length': '100' });
    res.write('{"partial":');
    return void setTimeout(() => req.socket.destroy(), 20);
  }
  res.writeHead(200);
  res.end(body);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => route(req, res, Buffer.concat(chunks).toString()));
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('nodeFetch', () => {
  it('reads status, JSON and bytes, and sends method, headers and body as given', async () => {
    const fetch = nodeFetch();
    const json = await fetch(`${base}/json`);
    expect(json).toMatchObject({ ok: true, status: 200 });
    expect(await json.json()).toEqual({ hello: 'world' });
    const bytes = await fetch(`${base}/bytes`);
    expect([...new Uint8Array(await bytes.arrayBuffer())]).toEqual([0, 1, 2, 255]);
    const echo = await fetch(`${base}/echo`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', authorization: 'Bearer t' },
      body: new Uint8Array([104, 105]),
    });
    expect(echo.ok).toBe(true);
    expect(seen.at(-1)).toMatchObject({
      method: 'PUT',
      url: '/echo',
      body: 'hi',
      headers: {
        'content-type': 'application/octet-stream',
        authorization: 'Bearer t',
        'content-length': '2',
      },
    });
    const refused = await fetch(`${base}/refused`);
    expect(refused).toMatchObject({ ok: false, status: 404, statusText: 'Not Found' });
  });

  it("carries a command's requests on one connection", async () => {
    const before = sockets.size;
    const fetch = nodeFetch();
    for (let i = 0; i < 4; i++) expect((await fetch(`${base}/json`)).ok).toBe(true);
    expect(sockets.size - before).toBe(1);
  });

  it('is what the relay API runs on: a refusal keeps its code, a dead relay is a NETWORK error', async () => {
    expect(await new RelayApi(base, nodeFetch()).latest('x')).toBeNull(); // 404 NO_SUCH_ROOM
    await expect(new RelayApi('http://127.0.0.1:1', nodeFetch()).latest('x')).rejects.toMatchObject({
      code: 'NETWORK',
    });
  });

  it('fails an answer past MAX_ANSWER_BYTES, and one the relay cut short', async () => {
    const fetch = nodeFetch();
    const rss = process.memoryUsage().rss;
    await expect(fetch(`${base}/huge`)).rejects.toThrow(/larger than/);
    expect(process.memoryUsage().rss - rss).toBeLessThan(MAX_ANSWER_BYTES + (32 << 20));
    await expect(fetch(`${base}/cut`)).rejects.toThrow();
    await expect(fetch('ftp://127.0.0.1/x')).rejects.toThrow(/not an http/);
  });

  it('fails a request whose relay goes silent (no answer, or an answer that stops) after the idle timeout', async () => {
    const fetch = nodeFetch({ idleTimeoutMs: 300 });
    for (const path of ['/silent', '/stops']) {
      const started = Date.now();
      await expect(fetch(`${base}${path}`)).rejects.toThrow(/silent for 300 ms/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    }
    // An answer that comes in time is unaffected by the timeout.
    expect((await fetch(`${base}/json`)).status).toBe(200);
  });
});
