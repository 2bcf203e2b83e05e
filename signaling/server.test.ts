/**
 * The process as a whole: PeerJS signaling and `/ws` side by side on one port, the static site with
 * its caching, the demo room of a fresh data dir, limits on connections.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  ApiPath,
  ErrorCode,
  WellKnownSlot,
  fromKeyFile,
  parseKeyFile,
  parseSignedRelease,
  parseTheme,
  verifyReleaseSignature,
} from '../protocol/index.ts';
import { ADOPTION_WRITE_DELAY_MS } from './relay/adoption.ts';
import { loadAdoptionFiles } from './store/adoption-files.ts';
import { RawConn, startTestServer, TestRoom, type TestServer } from './testing/helpers.ts';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.dispose();
});

async function start(options: Parameters<typeof startTestServer>[0] = {}) {
  const s = await startTestServer(options);
  servers.push(s);
  return s;
}

function firstMessage(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('message', (data: Buffer) => {
      resolve(data.toString());
      ws.close();
    });
    ws.on('error', reject);
  });
}

describe('one port, two WebSocket servers', () => {
  it('upgrades /peerjs for PeerJS and /ws for the relay, both at once', async () => {
    const server = await start();
    const peerUrl = `ws://${server.host}:${server.httpPort}/peerjs/peerjs?key=peerjs&id=peer-a&token=t1`;
    const relay = await RawConn.open(server, 'ws');
    const [peerOpen] = await Promise.all([
      firstMessage(peerUrl),
      (async () => relay.hello({ room: 'demo' }))(),
    ]);
    expect(JSON.parse(peerOpen)).toMatchObject({ type: 'OPEN' });
    expect((await relay.next('welcome')).room).toBe('demo');
    // PeerJS's HTTP side is mounted too.
    const id = await fetch(`${server.url}/peerjs/peerjs/id`);
    expect(id.status).toBe(200);
    relay.close();
  });

  it('refuses upgrades on other paths without disturbing the rest', async () => {
    const server = await start();
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://${server.host}:${server.httpPort}/elsewhere`);
        ws.on('open', resolve);
        ws.on('error', reject);
      }),
    ).rejects.toThrow(/404/);
    const relay = await RawConn.open(server, 'ws');
    relay.hello();
    await relay.next('welcome');
    relay.close();
  });
});

describe('static site', () => {
  it('serves dist with immutable hashed assets, revalidated pages and /play/ as a directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'patchcast-dist-'));
    try {
      await mkdir(join(dir, '_astro'));
      await mkdir(join(dir, 'play'));
      await writeFile(join(dir, 'index.html'), '<h1>admin</h1>');
      await writeFile(join(dir, '_astro', 'app.abc123.js'), 'export {}');
      await writeFile(join(dir, 'play', 'index.html'), '<h1>player</h1>');
      const server = await start({ staticDir: dir });
      const index = await fetch(server.url + '/');
      expect(await index.text()).toBe('<h1>admin</h1>');
      expect(index.headers.get('cache-control')).toBe('no-cache');
      const asset = await fetch(server.url + '/_astro/app.abc123.js');
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(asset.headers.get('content-type')).toContain('javascript');
      const play = await fetch(server.url + '/play/?room=demo&key=abc');
      expect(await play.text()).toBe('<h1>player</h1>');
      const bare = await fetch(server.url + '/play', { redirect: 'manual' });
      expect(bare.status).toBe(301);
      expect(bare.headers.get('location')).toBe('/play/');
      expect((await fetch(server.url + '/nope/deeper')).status).toBe(404);
      // The API still answers under the static site.
      expect((await fetch(server.url + '/healthz')).status).toBe(200);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('demo room', () => {
  it('is created on a fresh data dir with its key file, and loaded (not recreated) after restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'patchcast-demo-'));
    try {
      const first = await startTestServer({ dataDir, demo: true });
      expect(first.demo).toMatchObject({ room: 'demo', created: true });
      const keyPath = join(dataDir, 'keys', 'demo.key.json');
      expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
      const keyFile = parseKeyFile(JSON.parse(await readFile(keyPath, 'utf8')));
      if (!keyFile.ok) throw new Error(keyFile.message);
      const key = await fromKeyFile(keyFile.value);
      expect(first.demo?.publicKey).toBe(key.publicKey);
      const res = await fetch(first.url + ApiPath.release('demo'));
      const signed = parseSignedRelease(await res.json());
      if (!signed.ok) throw new Error(signed.message);
      expect(await verifyReleaseSignature(signed.value, key.publicKey)).toBe(true);
      const slots = signed.value.release.slots;
      expect(Object.keys(slots).sort()).toEqual(['background', 'logic', 'seed', 'theme']);
      expect(slots[WellKnownSlot.seedScript]).toMatchObject({ kind: 'script', lang: 'python' });
      expect(slots[WellKnownSlot.background]).toMatchObject({ kind: 'texture', mime: 'image/png' });
      const theme = await fetch(first.url + ApiPath.blob(slots['theme']!.sha256));
      expect(parseTheme(await theme.json())).toEqual({
        ok: true,
        value: { background: '#1e2832', ball: '#ff6464', ballRadius: 15 },
      });
      await first.close();
      const second = await startTestServer({ dataDir, demo: true });
      expect(second.demo).toMatchObject({ created: false, publicKey: key.publicKey });
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('connection limits', () => {
  it('refuses connections over the per-IP limit with TOO_MANY_CONNECTIONS', async () => {
    const server = await start({ hub: { maxConnectionsPerIp: 2 } });
    const a = await RawConn.open(server, 'tcp');
    const b = await RawConn.open(server, 'ws');
    const c = await RawConn.open(server, 'tcp');
    expect(await c.next('error')).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS, fatal: true });
    await c.waitEnd();
    const d = await RawConn.open(server, 'ws');
    expect(await d.next('error')).toMatchObject({ code: ErrorCode.TOO_MANY_CONNECTIONS });
    expect((await d.waitEnd()).code).toBe(4430);
    a.hello();
    await a.next('welcome');
    a.close();
    b.close();
  });
});

describe('close', () => {
  it('writes an ack counted while it was closing before it resolves, and nothing after', async () => {
    const s = await start();
    const room = await TestRoom.create(s.url, 'closing');
    const seq = (await room.publishScript('export function update(b){return b}\n', '1.1.0')).signed.release
      .seq;
    const closed = s.close();
    // The relay's first flush is under way: this ack comes in while the hub is still open.
    s.relay.recordAck('closing', 'p-late', { seq, slot: 'logic', status: 'applied', version: '1.1.0' });
    await closed;
    const files = await loadAdoptionFiles(s.dataDir, () => {});
    const file = files.find((f) => f.room === 'closing' && f.seq === seq);
    expect(Object.keys(file?.clients ?? {})).toContain('p-late');
    // No timer is left to write into the data dir later (an operator may be removing it by then).
    const before = JSON.stringify(await loadAdoptionFiles(s.dataDir, () => {}));
    await new Promise((r) => setTimeout(r, ADOPTION_WRITE_DELAY_MS * 2));
    expect(JSON.stringify(await loadAdoptionFiles(s.dataDir, () => {}))).toBe(before);
  });
});
