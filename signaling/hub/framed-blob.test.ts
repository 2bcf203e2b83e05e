/**
 * A blob's chunk messages framed once per wire: every run of chunks decodes, with the protocol's own
 * frame decoder (TCP) or `ws`'s own receiver (WebSocket), to exactly the chunks asked for — binary
 * and base64 JSON alike — and the WebSocket framing's header lengths are right at every boundary.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeChunkFrame, FrameDecoder, fromBase64, sha256Hex, sliceChunk } from '../../protocol/index.ts';
import { WS_FRAMING } from '../transports/ws.ts';
import { FramedBlob, FramedBlobCache } from './framed-blob.ts';
import { TCP_FRAMING } from './framing.ts';
import { payloadOf } from './payloads.ts';

const CHUNK = 64 * 1024;

/** The chunks a run of TCP frames carries, decoded as the player decodes them. */
function decodeTcp(bytes: Uint8Array): { sha256: string; index: number; data: Uint8Array }[] {
  const decoder = new FrameDecoder({ maxFrameBytes: 2 * CHUNK });
  return decoder.push(bytes).map((frame) => {
    if (!frame.ok) throw new Error(frame.message);
    const v = frame.value as { sha256: string; index: number; bytes?: Uint8Array; data?: string };
    return { sha256: v.sha256, index: v.index, data: v.bytes ?? fromBase64(v.data!) };
  });
}

/**
 * A WebSocket server that, as the relay's `/ws` does, lets `ws` do the handshake and then writes
 * framed bytes to the socket itself; a real `ws` client reads them.
 */
const server = createServer();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
let nextBytes: Uint8Array = new Uint8Array(0);
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, () => socket.write(nextBytes));
});
beforeAll(() => new Promise<void>((r) => server.listen(0, '127.0.0.1', r)));
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** The messages a run of WebSocket frames carries, as a `ws` client reads them. */
function decodeWs(bytes: Uint8Array, count: number): Promise<{ binary: boolean; data: Buffer }[]> {
  nextBytes = bytes;
  const { port } = server.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    const out: { binary: boolean; data: Buffer }[] = [];
    client.on('message', (data: Buffer, binary: boolean) => {
      out.push({ binary, data });
      if (out.length === count) {
        client.terminate();
        resolve(out);
      }
    });
    client.on('error', reject);
  });
}

describe('FramedBlob', async () => {
  const blob = randomBytes(5 * CHUNK + 123);
  const sha256 = await sha256Hex(blob);

  it('frames every chunk for TCP, and a run is exactly the chunks asked for (binary and JSON)', () => {
    for (const binary of [true, false]) {
      const framed = new FramedBlob(sha256, blob, CHUNK, binary, TCP_FRAMING);
      expect(framed.count).toBe(6);
      const all = decodeTcp(framed.run(0, framed.count));
      expect(all.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
      for (const c of all) {
        expect(c.sha256).toBe(sha256);
        expect(Buffer.from(c.data).equals(sliceChunk(blob, c.index, CHUNK))).toBe(true);
      }
      const some = decodeTcp(framed.run(2, 5));
      expect(some.map((c) => c.index)).toEqual([2, 3, 4]);
      expect(framed.sizeOf(2, 5)).toBe(framed.run(2, 5).length);
    }
  });

  it('frames every chunk for WebSocket: binary messages, or JSON text messages', async () => {
    const framed = new FramedBlob(sha256, blob, CHUNK, true, WS_FRAMING);
    const messages = await decodeWs(framed.run(1, 6), 5);
    expect(messages.map((m) => m.binary)).toEqual([true, true, true, true, true]);
    const decoded = messages.map((m) => decodeTcp(new Uint8Array(payloadFrame(m.data)))[0]!);
    expect(decoded.map((c) => c.index)).toEqual([1, 2, 3, 4, 5]);
    expect(Buffer.from(decoded[4]!.data).equals(sliceChunk(blob, 5, CHUNK))).toBe(true);

    const json = new FramedBlob(sha256, blob, CHUNK, false, WS_FRAMING);
    const texts = await decodeWs(json.run(0, 2), 2);
    expect(texts.map((m) => m.binary)).toEqual([false, false]);
    const first = JSON.parse(texts[0]!.data.toString('utf8')) as { index: number; data: string };
    expect(first.index).toBe(0);
    expect(Buffer.from(fromBase64(first.data)).equals(sliceChunk(blob, 0, CHUNK))).toBe(true);
  });

  it('writes binary chunk frames in place: byte for byte the protocol encoder frames, a short last chunk too', async () => {
    const blob = randomBytes(3 * CHUNK + 123);
    const sha = await sha256Hex(blob);
    const framed = new FramedBlob(sha, blob, CHUNK, true, TCP_FRAMING);
    const expected = Buffer.concat(
      Array.from({ length: 4 }, (_, i) => encodeChunkFrame(sha, i, sliceChunk(blob, i, CHUNK))),
    );
    expect(framed.count).toBe(4);
    expect(framed.bytes.equals(expected)).toBe(true);
    expect(framed.run(3, 4).equals(encodeChunkFrame(sha, 3, sliceChunk(blob, 3, CHUNK)))).toBe(true);
  });

  it('is kept per blob, chunk size, encoding and wire', () => {
    const cache = new FramedBlobCache();
    const a = cache.get(sha256, blob, CHUNK, true, TCP_FRAMING);
    expect(cache.get(sha256, blob, CHUNK, true, TCP_FRAMING)).toBe(a);
    expect(cache.get(sha256, blob, CHUNK, true, WS_FRAMING)).not.toBe(a);
    expect(cache.get(sha256, blob, CHUNK, false, TCP_FRAMING)).not.toBe(a);
    expect(cache.get(sha256, blob, 16 * 1024, true, TCP_FRAMING)).not.toBe(a);
  });
});

/** A body as a TCP frame (to decode a WebSocket message's body with the frame decoder). */
function payloadFrame(body: Buffer): Buffer {
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

describe('WebSocket framing', () => {
  it('writes the right header at every length boundary, text and binary', async () => {
    for (const length of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
      const text = payloadOf({ s: 'x'.repeat(Math.max(0, length - 8)) });
      const bytes = WS_FRAMING.bytesOf(text);
      const [message] = await decodeWs(bytes, 1);
      expect(message!.binary).toBe(false);
      expect(message!.data.equals(Buffer.from(text.frame.subarray(4)))).toBe(true);
    }
    const body = randomBytes(65536);
    const frame = payloadFrame(body);
    const [binary] = await decodeWs(WS_FRAMING.bytesOf({ frame, binary: true }), 1);
    expect(binary!.binary).toBe(true);
    expect(binary!.data.equals(body)).toBe(true);
  });

  it('frames a shared payload once', () => {
    const p = payloadOf({ type: 'x' });
    expect(WS_FRAMING.bytesOf(p)).toBe(WS_FRAMING.bytesOf(p));
    expect(TCP_FRAMING.bytesOf(p).equals(Buffer.from(p.frame))).toBe(true);
  });
});
