/**
 * Slow HTTP clients are cut off: one that trickles its headers, one that sends nothing, and one that
 * trickles its body each get a 408 and a closed connection within the timeout plus the check
 * interval, each counted in `/metrics`; a WebSocket that stays open past both timeouts is not
 * touched, and `serve --help` lists the two flags. Real sockets against a real relay.
 */
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiPath } from '../../protocol/index.ts';
import { TEST_OPERATOR_TOKEN, startTestServer, type TestServer } from '../testing/helpers.ts';
import { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_HEADER_TIMEOUT_MS } from './timeouts.ts';

const HEADER_MS = 400;
const BODY_MS = 1200;
/** Check interval (a quarter of the shortest timeout) plus the machine's own delays. */
const SLACK_MS = 100 + 600;

let server: TestServer;
let logs: string[];
beforeEach(async () => {
  logs = [];
  server = await startTestServer({
    headerTimeoutMs: HEADER_MS,
    bodyTimeoutMs: BODY_MS,
    log: (m) => logs.push(m),
  });
});
afterEach(async () => {
  await server.dispose();
});

/** A raw connection that writes `first` once connected, then `drip` every 100 ms; resolves when the relay closes it. */
function slowClient(first: string, drip: string): Promise<{ ms: number; answer: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setInterval> | null = null;
    // The drip starts once connected and `first` is written: a drip queued before the connect
    // callback would reach the relay ahead of the request line (a 400 for a bad method, not a 408).
    const socket: Socket = connect(server.httpPort, server.host, () => {
      if (first) socket.write(first);
      if (drip) timer = setInterval(() => socket.writable && socket.write(drip), 100);
    });
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (timer) clearInterval(timer);
      resolve({ ms: Date.now() - started, answer });
    });
  });
}

async function timeouts(source: string): Promise<number> {
  const text = await (await fetch(server.url + ApiPath.metrics())).text();
  const m = new RegExp(
    `^patchcast_refusals_total\\{code="REQUEST_TIMEOUT",source="${source}"\\} (\\d+)$`,
    'm',
  ).exec(text);
  return m ? Number(m[1]) : 0;
}

describe('HTTP header and body timeouts', () => {
  it('closes a connection that trickles its headers, and one that sends nothing, after the header timeout', async () => {
    const [trickle, silent] = await Promise.all([
      slowClient('GET /healthz HTTP/1.1\r\nHost: relay\r\n', 'X-Slow: 1\r\n'),
      slowClient('', ''),
    ]);
    for (const client of [trickle, silent]) {
      expect(client.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(client.ms).toBeGreaterThanOrEqual(HEADER_MS - 50);
      expect(client.ms).toBeLessThan(HEADER_MS + SLACK_MS);
    }
    expect(await timeouts('http-headers')).toBe(2);
    expect(await timeouts('http-body')).toBe(0);
    expect(logs.filter((l) => l.includes('REQUEST_TIMEOUT'))).toEqual([
      `http: REQUEST_TIMEOUT: closed a connection that did not send its headers within ${HEADER_MS} ms (--header-timeout)`,
    ]);
  });

  it('closes a connection that trickles its body after the body timeout', async () => {
    // An operator's publish that creates a room: the one request whose body the relay reads before
    // anything else is known (an upload nobody expects is refused before its body).
    const client = await slowClient(
      `POST ${ApiPath.releases('slow')} HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer ${TEST_OPERATOR_TOKEN}\r\nContent-Length: 100000\r\n\r\n`,
      'x'.repeat(10),
    );
    expect(client.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(client.ms).toBeGreaterThanOrEqual(BODY_MS - 50);
    expect(client.ms).toBeLessThan(BODY_MS + SLACK_MS);
    expect(await timeouts('http-body')).toBe(1);
    expect(await timeouts('http-headers')).toBe(0);
  });

  it('leaves alone requests that arrive in time and WebSockets open past both timeouts', async () => {
    const ws = new WebSocket(
      `ws://${server.host}:${server.httpPort}/peerjs/peerjs?key=peerjs&id=a1&token=t1`,
    );
    let closed = false;
    ws.on('close', () => (closed = true));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    await new Promise((r) => setTimeout(r, BODY_MS + SLACK_MS));
    expect(closed).toBe(false);
    expect((await fetch(server.url + ApiPath.health())).status).toBe(200);
    ws.close();
    expect(await timeouts('http-headers')).toBe(0);
  });

  it('has flags on serve, listed by --help with their defaults', async () => {
    const bin = fileURLToPath(new URL('../../bin/patchcast.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'serve', '--help']);
    expect(stdout).toContain(
      `--header-timeout MS  time an HTTP client has to send its headers (default ${DEFAULT_HEADER_TIMEOUT_MS})`,
    );
    expect(stdout).toContain(`(default ${DEFAULT_BODY_TIMEOUT_MS}); past either: 408, connection closed`);
  });
});
