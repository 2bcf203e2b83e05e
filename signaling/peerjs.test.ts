/**
 * PeerJS under the relay's rules, on a real relay with real `/peerjs` sockets: ids are suggested only
 * once registered from the announcing session's address; a squatted id is refused; an oversize PeerJS
 * message closes its socket without the relay buffering it; one address holds a bounded number of
 * `/peerjs` sockets. Second addresses are other loopback addresses (127.0.0.2).
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ErrorCode } from '../protocol/index.ts';
import { RawConn, TestRoom, startTestServer, until, type TestServer } from './testing/helpers.ts';

/** Opens a PeerJS socket registering `id`; resolves with it once the server said OPEN (or rejects). */
function registerPeer(server: TestServer, id: string, localAddress = '127.0.0.1'): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const url = `ws://${server.host}:${server.httpPort}/peerjs/peerjs?key=peerjs&id=${id}&token=t${id}`;
    const ws = new WebSocket(url, { localAddress });
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { type: string };
      if (msg.type === 'OPEN') resolve(ws);
      else if (msg.type === 'ID-TAKEN') reject(new Error('ID-TAKEN'));
    });
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

describe('PeerJS under the relay rules', () => {
  let server: TestServer;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.terminate();
    await server.dispose();
  });

  it('never suggests an id it has not seen register, and suggests it once it has', async () => {
    server = await startTestServer();
    await TestRoom.create(server.url);
    const a = await RawConn.open(server, 'ws');
    a.hello({ clientId: 'a', peerId: 'peer-a', seq: 1 });
    await a.next('welcome');
    const b = await RawConn.open(server, 'ws');
    b.hello({ clientId: 'b', seq: 1 });
    expect((await b.next('welcome')).peers).toBeUndefined();
    sockets.push(await registerPeer(server, 'peer-a'));
    const c = await RawConn.open(server, 'ws');
    c.hello({ clientId: 'c', seq: 1 });
    expect((await c.next('welcome')).peers).toEqual(['peer-a']);
  });

  it('refuses an id registered from another address or held by another session', async () => {
    server = await startTestServer();
    await TestRoom.create(server.url);
    // The squatter registers the id from another address first.
    sockets.push(await registerPeer(server, 'victim-peer', '127.0.0.2'));
    const victim = await RawConn.open(server, 'ws');
    victim.hello({ clientId: 'victim', peerId: 'victim-peer', seq: 1 });
    expect((await victim.next('error')).code).toBe(ErrorCode.PEER_ID_REFUSED);
    const viewer = await RawConn.open(server, 'ws');
    viewer.hello({ clientId: 'viewer', seq: 1 });
    expect((await viewer.next('welcome')).peers).toBeUndefined();

    // An id a session of this room holds, announced by a session of another room.
    sockets.push(await registerPeer(server, 'honest-peer'));
    const honest = await RawConn.open(server, 'ws');
    honest.hello({ clientId: 'honest', peerId: 'honest-peer', seq: 1 });
    await honest.next('welcome');
    const other = await RawConn.open(server, 'tcp');
    other.hello({ room: 'elsewhere', clientId: 'x', peerId: 'honest-peer' });
    expect((await other.next('error')).code).toBe(ErrorCode.PEER_ID_REFUSED);
    expect(await server.metrics.text()).toMatch(
      /patchcast_refusals_total\{code="PEER_ID_REFUSED",source="socket"\} 2/,
    );
  });

  it('closes a PeerJS socket that sends an oversize message, without buffering it', async () => {
    const log: string[] = [];
    server = await startTestServer({ log: (m) => log.push(m) });
    const ws = await registerPeer(server, 'big');
    sockets.push(ws);
    // A 60 MB binary frame, written raw under the client's socket in 1 MiB pieces (the client holds
    // 1 MiB, so any growth measured is the relay's). Mask key 0: the payload goes as it is.
    const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    const size = 60 * 1024 * 1024;
    const header = Buffer.alloc(14);
    header[0] = 0x82;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(size), 2);
    const piece = Buffer.alloc(1024 * 1024, 0x61);
    global.gc?.();
    const before = process.memoryUsage();
    const closed = new Promise<void>((r) => raw.once('close', () => r()));
    let open = true;
    void closed.then(() => (open = false));
    raw.write(header);
    for (let sent = 0; open && sent < size; sent += piece.length) {
      if (!raw.write(piece)) await Promise.race([new Promise((r) => raw.once('drain', r)), closed]);
    }
    await closed;
    const after = process.memoryUsage();
    // The relay never held the message: neither the heap nor buffers grew by anything like 60 MB.
    expect(after.arrayBuffers + after.heapUsed - (before.arrayBuffers + before.heapUsed)).toBeLessThan(
      20 * 1024 * 1024,
    );
    await until(() => log.some((l) => l.includes('FRAME_TOO_LARGE')));
    expect(await server.metrics.text()).toMatch(
      /patchcast_refusals_total\{code="FRAME_TOO_LARGE",source="peerjs"\} 1/,
    );
  });

  it('holds one address to its share of /peerjs sockets', async () => {
    server = await startTestServer({ peerjsPerAddress: 3 });
    for (let i = 0; i < 3; i++) sockets.push(await registerPeer(server, `p${i}`));
    await expect(registerPeer(server, 'p3')).rejects.toThrow('HTTP 429');
    sockets.push(await registerPeer(server, 'q0', '127.0.0.2'));
    expect(await server.metrics.text()).toMatch(
      /patchcast_refusals_total\{code="TOO_MANY_CONNECTIONS",source="peerjs"\} 1/,
    );
    // A socket that closes gives its place back.
    sockets.shift()!.close();
    await until(async () => {
      try {
        sockets.push(await registerPeer(server, 'p4'));
        return true;
      } catch {
        return false;
      }
    });
  });
});
