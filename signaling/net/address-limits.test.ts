/**
 * Per-address limits on a real relay, over real sockets: HTTP request rate, HTTP-port sockets,
 * the connection rate of `/ws`, `/peerjs` and TCP — each refusal with its code and counted in
 * `/metrics` — while another address (127.0.0.2: loopback is a whole /8) is served meanwhile; and
 * the defaults let 2,000 players connect from one address at once.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ErrorCode, FrameDecoder } from '../../protocol/index.ts';
import { startTestServer, until, type TestServer } from '../testing/helpers.ts';
import { DEFAULT_ADDRESS_LIMITS, MAX_ADDRESS_SHARE, TokenBuckets } from './address-limits.ts';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.dispose();
  server = null;
});

/** GET `path` from `localAddress`: status and body text. */
function get(path: string, localAddress = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server!.httpPort, path, localAddress, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function refusals(code: string, source: string): Promise<number> {
  const text = (await get('/metrics', '127.0.0.3')).body;
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`patchcast_refusals_total{code="${code}",source="${source}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Opens a raw socket from `localAddress` and reads what the relay answers before closing. */
function rawAnswer(port: number, send: string, localAddress = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    let text = '';
    socket.on('data', (c) => (text += c.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
    socket.on('connect', () => socket.write(send));
  });
}

describe('per-address limits', () => {
  it('limits the HTTP request rate of an address with 429 RATE_LIMITED, and serves others meanwhile', async () => {
    server = await startTestServer({ addressLimits: { requests: { perSecond: 1, burst: 5 } } });
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await get('/api/rooms')).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    const refused = await get('/api/rooms');
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: ErrorCode.RATE_LIMITED } });
    expect((await get('/api/rooms', '127.0.0.2')).status).toBe(200);
    expect(await refusals(ErrorCode.RATE_LIMITED, 'http')).toBe(4);
  });

  it('caps the HTTP sockets of one address (a quarter of the global cap at most)', async () => {
    server = await startTestServer({ addressLimits: { httpSockets: 8, httpSocketsPerAddress: 100 } });
    const held: Socket[] = [];
    for (let i = 0; i < 2; i++) {
      const s = connect({ host: '127.0.0.1', port: server.httpPort });
      await new Promise((r) => s.once('connect', r));
      held.push(s);
    }
    await new Promise((r) => setTimeout(r, 50));
    const third = await rawAnswer(server.httpPort, 'GET /api/rooms HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(third).toMatch(/^HTTP\/1\.1 503/);
    expect(third).toContain(ErrorCode.TOO_MANY_CONNECTIONS);
    expect((await get('/api/rooms', '127.0.0.2')).status).toBe(200);
    expect(await refusals(ErrorCode.TOO_MANY_CONNECTIONS, 'http')).toBe(1);
    for (const s of held) s.destroy();
    await until(async () => (await get('/api/rooms')).status === 200, 5_000);
  });

  it('limits the rate of new /ws, /peerjs and TCP connections of an address', async () => {
    server = await startTestServer({ addressLimits: { connects: { perSecond: 0.001, burst: 3 } } });
    const opened: WebSocket[] = [];
    for (let i = 0; i < 3; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${server.httpPort}/ws`);
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      opened.push(ws);
    }
    const upgrade =
      'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
    const refusedWs = await rawAnswer(server.httpPort, upgrade);
    expect(refusedWs).toMatch(/^HTTP\/1\.1 429/);
    expect(refusedWs).toContain(ErrorCode.RATE_LIMITED);
    const peerjs = upgrade.replace('GET /ws', 'GET /peerjs/peerjs?key=peerjs&id=x&token=y');
    expect(await rawAnswer(server.httpPort, peerjs)).toMatch(/^HTTP\/1\.1 429/);
    // TCP: a fatal error frame with the code, then the close.
    const tcp = await rawAnswer(server.tcpPort, '');
    const first = new FrameDecoder().push(new Uint8Array(Buffer.from(tcp, 'latin1')))[0];
    expect(first && first.ok && first.value).toMatchObject({ type: 'error', code: ErrorCode.RATE_LIMITED });
    // Another address connects.
    const other = connect({ host: '127.0.0.1', port: server.tcpPort, localAddress: '127.0.0.2' });
    await new Promise((r) => other.once('connect', r));
    other.destroy();
    expect(await refusals(ErrorCode.RATE_LIMITED, 'ws')).toBe(1);
    expect(await refusals(ErrorCode.RATE_LIMITED, 'peerjs')).toBe(1);
    expect(await refusals(ErrorCode.RATE_LIMITED, 'tcp')).toBe(1);
    for (const ws of opened) ws.close();
  });

  it('lets 2,000 players connect from one address at once with the defaults', async () => {
    expect(DEFAULT_ADDRESS_LIMITS.httpSocketsPerAddress).toBeLessThanOrEqual(
      DEFAULT_ADDRESS_LIMITS.httpSockets * MAX_ADDRESS_SHARE,
    );
    server = await startTestServer({ hub: { helloTimeoutMs: 60_000 } });
    const sockets = await Promise.all(
      Array.from(
        { length: 2_000 },
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(`ws://127.0.0.1:${server!.httpPort}/ws`);
            ws.once('open', () => resolve(ws));
            ws.once('error', reject);
          }),
      ),
    );
    expect(sockets).toHaveLength(2_000);
    expect(await refusals(ErrorCode.RATE_LIMITED, 'ws')).toBe(0);
    expect(await refusals(ErrorCode.TOO_MANY_CONNECTIONS, 'http')).toBe(0);
    for (const ws of sockets) ws.terminate();
  }, 60_000);
});

describe('TokenBuckets', () => {
  it('refills at its rate up to its burst', () => {
    let t = 0;
    const buckets = new TokenBuckets({ perSecond: 2, burst: 3 }, () => t);
    expect([1, 2, 3, 4].map(() => buckets.take('a'))).toEqual([true, true, true, false]);
    t = 500;
    expect([buckets.take('a'), buckets.take('a')]).toEqual([true, false]);
    t = 100_000;
    expect([1, 2, 3, 4].map(() => buckets.take('a'))).toEqual([true, true, true, false]);
    expect(buckets.take('b')).toBe(true);
  });
});
