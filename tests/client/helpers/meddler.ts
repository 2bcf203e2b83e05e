/**
 * A man in the middle for client tests: it stands between players and the REAL relay (started
 * in-process), passes every message through both ways on either transport — WebSocket (`/ws`, and
 * the HTTP API passed through) or framed TCP — records what players say, and can be told to lie:
 * announce a release the relay never stored (and serve its blobs, content the relay would refuse),
 * send junk, corrupt a blob's chunks, hold back chunk requests, or drop every connection. The relay
 * does all the real work; this only meddles.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, connect as netConnect, type Server as NetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { fromBase64, toBase64, utf8 } from '../../../protocol/bytes.ts';
import {
  decodeBody,
  encodeChunkBody,
  encodeFrame,
  frameBytes,
  FrameDecoder,
} from '../../../protocol/frame.ts';
import { parseMessage, type Ack, type Hello, type Message } from '../../../protocol/messages.ts';
import { PLAYER_BLOB_HEADER } from '../../../protocol/http.ts';
import type { TestServer } from '../../../signaling/testing/helpers.ts';
import { chunkCount, sliceChunk } from '../../../protocol/blobs.ts';
import type { BuiltRelease } from '../../../publisher/build.ts';
import type { Slot } from '../../../protocol/release.ts';

/** One player's connection through the meddler. */
interface Pipe {
  /** Sends to the player, as-is (a message, or raw text or bytes for junk). */
  toPlayer(data: Message | string | Uint8Array): void;
  /** Sends to the relay. */
  toRelay(message: Message): void;
  close(): void;
}

/** A running meddler. */
export interface Meddler {
  /** The HTTP base URL players use as `server` (`/ws` and `/api/…` through the meddler). */
  readonly url: string;
  readonly host: string;
  readonly tcpPort: number;
  readonly hellos: Hello[];
  readonly acks: Ack[];
  /** `count` of every `blob.get`, in order. */
  readonly blobGets: number[];
  /** The hash of every whole blob asked for over HTTP (`GET /api/blobs/:sha256`), in order. */
  readonly httpBlobGets: string[];
  readonly heartbeats: number[];
  /** Chunks passed to players, by blob hash. */
  readonly chunksSent: ReadonlyMap<string, number>;
  readonly connections: number;
  /** Sends a release message to every player without the relay storing it. */
  announce(signed: unknown): void;
  /**
   * Announces a signed release the relay would refuse (content it checks: an image that doesn't
   * decode, a colour out of range) and answers players' chunk requests for its blobs itself.
   */
  inject(built: BuiltRelease): void;
  /** Sends raw text (not a valid message) to every player. */
  sendRaw(text: string): void;
  /** Sends bytes that are no text: a binary WebSocket frame, or a TCP frame that isn't UTF-8. */
  sendBinary(bytes: Uint8Array): void;
  /**
   * From now on, corrupts the relay's chunks of this blob on their way to players (the next `times`),
   * and the whole blob whenever it is fetched over HTTP.
   */
  tamper(sha256: string, times?: number): void;
  /** From now on, corrupts this blob when it is fetched whole over HTTP (its chunks pass unharmed). */
  tamperHttp(sha256: string): void;
  /** Holds players' `blob.get` requests and HTTP blob GETs (for `sha256` only, when given) until `resume`. */
  pause(sha256?: string): void;
  resume(): void;
  /** Closes every player connection (the meddler keeps listening). */
  dropAll(): void;
  /** From now on, passes players' hellos on without `pushBlobs` (as an older client says them). */
  withoutPush(): void;
  close(): Promise<void>;
}

/** Starts a meddler in front of `relay` on free loopback ports. */
export async function startMeddler(relay: TestServer): Promise<Meddler> {
  const pipes = new Set<Pipe>();
  /** Blobs whose chunks are corrupted: how many more (Infinity: all). */
  const tampered = new Map<string, number>();
  /** Blobs corrupted when fetched whole over HTTP. */
  const tamperedHttp = new Set<string>();
  const chunksSent = new Map<string, number>();
  /** Blobs of injected releases, served here: sha256 → bytes and slot. */
  const injected = new Map<string, { readonly bytes: Uint8Array; readonly slot: Slot }>();
  let stripPush = false;
  let paused: { readonly only: string | undefined; readonly held: (() => void)[] } | null = null;
  const record = {
    hellos: [] as Hello[],
    acks: [] as Ack[],
    blobGets: [] as number[],
    httpBlobGets: [] as string[],
    heartbeats: [] as number[],
  };

  /** What goes to the player: chunks of a tampered blob corrupted on the way. */
  const down = (message: Message): Message => {
    if (message.type !== 'blob') return message;
    chunksSent.set(message.sha256, (chunksSent.get(message.sha256) ?? 0) + 1);
    const left = tampered.get(message.sha256) ?? 0;
    if (left <= 0) return message;
    tampered.set(message.sha256, left - 1);
    if ('bytes' in message) {
      const bytes = message.bytes.slice();
      bytes[0] = bytes[0]! ^ 0xff;
      return { ...message, bytes };
    }
    const bytes = fromBase64(message.data);
    bytes[0] = bytes[0]! ^ 0xff;
    return { ...message, data: toBase64(bytes) };
  };
  /** A message's body as the relay would send it: a binary chunk frame's, or JSON text. */
  const bodyOf = (message: Message): Uint8Array | string =>
    message.type === 'blob' && 'bytes' in message
      ? encodeChunkBody(message.sha256, message.index, message.bytes)
      : JSON.stringify(message);
  /** What goes to the relay: recorded, and chunk requests held while paused. */
  const up = (pipe: Pipe, said: Message): void => {
    let message = said;
    if (message.type === 'hello') {
      record.hellos.push(message);
      if (stripPush) {
        const { pushBlobs: _, ...older } = message;
        message = older;
      }
    }
    if (message.type === 'ack') record.acks.push(message);
    if (message.type === 'heartbeat') record.heartbeats.push(Date.now());
    if (message.type === 'blob.get') {
      if (paused && (paused.only === undefined || paused.only === message.sha256)) {
        paused.held.push(() => pipe.toRelay(message));
        return;
      }
      record.blobGets.push(message.count);
      const own = injected.get(message.sha256);
      if (own) {
        const n = chunkCount(own.bytes.length, own.slot.chunkSize);
        for (let i = message.from; i < Math.min(n, message.from + message.count); i++) {
          const data = toBase64(sliceChunk(own.bytes, i, own.slot.chunkSize));
          pipe.toPlayer(down({ type: 'blob', sha256: message.sha256, index: i, data }));
        }
        return;
      }
    }
    pipe.toRelay(message);
  };
  const parse = (text: string): Message | null => {
    try {
      const parsed = parseMessage(JSON.parse(text));
      return parsed.ok ? parsed.value : null;
    } catch {
      return null;
    }
  };

  // ---- WebSocket, and the HTTP API passed through --------------------------------------------
  const http: HttpServer = createHttpServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const blob =
        req.method === 'GET' ? /^\/api\/blobs\/([0-9a-f]{64})$/.exec(req.url ?? '')?.[1] : undefined;
      if (blob !== undefined) {
        record.httpBlobGets.push(blob);
        const p = paused;
        if (p && (p.only === undefined || p.only === blob)) await new Promise<void>((r) => p.held.push(r));
      }
      const player = req.headers[PLAYER_BLOB_HEADER];
      const answer = await fetch(relay.url + (req.url ?? '/'), {
        method: req.method ?? 'GET',
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/json',
          ...(typeof player === 'string' ? { [PLAYER_BLOB_HEADER]: player } : {}),
        },
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of answer.headers)
        if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(name))
          headers[name] = value;
      const body = Buffer.from(await answer.arrayBuffer());
      const corrupt = blob !== undefined && ((tampered.get(blob) ?? 0) > 0 || tamperedHttp.has(blob));
      if (corrupt && answer.status === 200 && body.length > 0) body[0] = body[0]! ^ 0xff;
      res.writeHead(answer.status, { ...headers, 'content-length': String(body.length) });
      res.end(body);
    })().catch(() => res.writeHead(502).end());
  });
  const wss = new WebSocketServer({ server: http, path: '/ws' });
  wss.on('connection', (player) => {
    const upstream = new WebSocket(`ws://${relay.host}:${relay.httpPort}/ws`);
    const queue: string[] = [];
    const pipe: Pipe = {
      toPlayer: (data) => {
        if (player.readyState !== player.OPEN) return;
        player.send(typeof data === 'string' || data instanceof Uint8Array ? data : bodyOf(data));
      },
      toRelay: (message) => {
        const text = JSON.stringify(message);
        if (upstream.readyState === upstream.OPEN) upstream.send(text);
        else queue.push(text);
      },
      close: () => player.terminate(),
    };
    pipes.add(pipe);
    upstream.on('open', () => queue.splice(0).forEach((t) => upstream.send(t)));
    upstream.on('message', (data, isBinary) => {
      const frame = isBinary ? decodeBody(new Uint8Array(data as Buffer)) : null;
      const parsed = frame?.ok ? parseMessage(frame.value) : null;
      const message = isBinary ? (parsed?.ok ? parsed.value : null) : parse(String(data));
      if (message) pipe.toPlayer(down(message));
    });
    player.on('message', (data) => {
      const message = parse(String(data));
      if (message) up(pipe, message);
    });
    const end = () => {
      pipes.delete(pipe);
      player.terminate();
      upstream.terminate();
    };
    player.on('close', end);
    upstream.on('close', end);
    upstream.on('error', end);
  });

  // ---- framed TCP --------------------------------------------------------------------------------
  const tcp: NetServer = createNetServer((player) => {
    const upstream = netConnect({ host: relay.host, port: relay.tcpPort });
    const fromPlayer = new FrameDecoder();
    const fromRelay = new FrameDecoder();
    const pipe: Pipe = {
      toPlayer: (data) => {
        if (player.destroyed) return;
        if (data instanceof Uint8Array) player.write(frameBytes(data));
        else if (typeof data === 'string') player.write(frameBytes(utf8(data)));
        else {
          const body = bodyOf(data);
          player.write(typeof body === 'string' ? encodeFrame(data) : frameBytes(body));
        }
      },
      toRelay: (message) => {
        if (!upstream.destroyed) upstream.write(encodeFrame(message));
      },
      close: () => player.destroy(),
    };
    pipes.add(pipe);
    upstream.on('data', (chunk: Buffer) => {
      // What the relay wrote together reaches the player together (a release and the chunks pushed
      // behind it), as it would without a meddler.
      player.cork();
      for (const frame of fromRelay.push(chunk)) {
        const message = frame.ok ? parseMessage(frame.value) : null;
        if (message?.ok) pipe.toPlayer(down(message.value));
      }
      player.uncork();
    });
    player.on('data', (chunk: Buffer) => {
      for (const frame of fromPlayer.push(chunk)) {
        const message = frame.ok ? parseMessage(frame.value) : null;
        if (message?.ok) up(pipe, message.value);
      }
    });
    const end = () => {
      pipes.delete(pipe);
      player.destroy();
      upstream.destroy();
    };
    for (const socket of [player, upstream]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const httpPort = (http.address() as AddressInfo).port;
  const tcpPort = (tcp.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${httpPort}`,
    host: '127.0.0.1',
    tcpPort,
    ...record,
    chunksSent,
    get connections() {
      return pipes.size;
    },
    announce(signed) {
      for (const pipe of pipes) pipe.toPlayer(JSON.stringify({ type: 'release', signed }));
    },
    inject(built) {
      for (const slot of Object.values(built.signed.release.slots)) {
        const bytes = built.blobs.get(slot.sha256);
        if (bytes) injected.set(slot.sha256, { bytes, slot });
      }
      for (const pipe of pipes) pipe.toPlayer({ type: 'release', signed: built.signed });
    },
    sendRaw(text) {
      for (const pipe of pipes) pipe.toPlayer(text);
    },
    sendBinary(bytes) {
      for (const pipe of pipes) pipe.toPlayer(bytes);
    },
    tamper(sha256, times = Infinity) {
      tampered.set(sha256, times);
    },
    tamperHttp(sha256) {
      tamperedHttp.add(sha256);
    },
    pause(sha256) {
      paused ??= { only: sha256, held: [] };
    },
    resume() {
      const held = paused?.held ?? [];
      paused = null;
      for (const send of held) send();
    },
    dropAll() {
      for (const pipe of [...pipes]) pipe.close();
    },
    withoutPush() {
      stripPush = true;
    },
    close: async () => {
      for (const pipe of [...pipes]) pipe.close();
      wss.close();
      await Promise.all([new Promise((r) => http.close(r)), new Promise((r) => tcp.close(r))]);
    },
  };
}
