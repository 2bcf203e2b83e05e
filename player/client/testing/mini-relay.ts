/**
 * A small relay for the patch client's tests: a real WebSocket server on 127.0.0.1 that speaks the
 * protocol's player side (hello → welcome → release, blob.get → blob, heartbeat, ack), and can be
 * told to misbehave (tamper with a blob's chunks, announce anything, drop every connection). The
 * real relay is in `signaling/`; browser tests use that one.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { chunkCount, sliceChunk } from '../../../protocol/blobs.ts';
import { toBase64 } from '../../../protocol/bytes.ts';
import type { BuiltRelease } from '../../../publisher/build.ts';
import { parseMessage, type Ack, type Hello, type Message } from '../../../protocol/messages.ts';
import type { SignedRelease } from '../../../protocol/release.ts';

/** A running mini relay. */
export interface MiniRelay {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly hellos: Hello[];
  readonly acks: Ack[];
  readonly blobGets: number[];
  readonly heartbeats: number[];
  /** Chunks sent, by blob hash. */
  readonly chunksSent: ReadonlyMap<string, number>;
  /** Stores a release and its blobs as the room's latest, and announces it to every client. */
  publish(built: BuiltRelease): void;
  /** Sends raw text to every client (junk, for robustness tests). */
  sendRaw(text: string | Uint8Array): void;
  /** Sends a release message to every client without storing it (for refusal tests). */
  announce(signed: unknown): void;
  /** From now on, serves corrupted chunks for this blob. */
  tamper(sha256: string): void;
  /**
   * Holds `blob.get` requests unanswered until `resume` (to catch a client mid-download); only
   * those for the blob `sha256`, when given.
   */
  pause(sha256?: string): void;
  resume(): void;
  /** Key rotation records served at `/api/rooms/:room/keys`. */
  rotations: unknown[];
  /** Closes every client connection (the server keeps listening). */
  dropAll(): void;
  /** Number of open client connections. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Starts a mini relay on a free loopback port. */
export async function startMiniRelay(options: { heartbeatMs?: number } = {}): Promise<MiniRelay> {
  let latest: SignedRelease | null = null;
  const blobs = new Map<string, Uint8Array>();
  const tampered = new Set<string>();
  let paused: { readonly only: string | undefined; readonly waiting: (() => void)[] } | null = null;
  const chunksSent = new Map<string, number>();
  const sockets = new Set<WebSocket>();
  const state = {
    hellos: [] as Hello[],
    acks: [] as Ack[],
    blobGets: [] as number[],
    heartbeats: [] as number[],
    rotations: [] as unknown[],
  };

  const http: Server = createServer((req, res) => {
    const keys = /^\/api\/rooms\/([^/]+)\/keys$/.exec(req.url ?? '');
    if (keys) {
      res
        .writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' })
        .end(JSON.stringify({ room: keys[1], keys: [], rotations: state.rotations }));
      return;
    }
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server: http, path: '/ws' });
  const send = (socket: WebSocket, message: Message) => socket.send(JSON.stringify(message));

  wss.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('message', (data) => {
      let json: unknown;
      try {
        json = JSON.parse(String(data));
      } catch {
        return;
      }
      const parsed = parseMessage(json);
      if (!parsed.ok) return;
      const message = parsed.value;
      switch (message.type) {
        case 'hello':
          state.hellos.push(message);
          send(socket, {
            type: 'welcome',
            clientId: message.clientId,
            room: message.room,
            seq: latest?.release.seq ?? 0,
            heartbeatMs: options.heartbeatMs ?? 10_000,
            maxFrameBytes: 16 * 1024 * 1024,
            serverTime: new Date().toISOString(),
          });
          if (latest && latest.release.seq > message.seq) send(socket, { type: 'release', signed: latest });
          return;
        case 'blob.get': {
          if (paused && (paused.only === undefined || paused.only === message.sha256)) {
            paused.waiting.push(() => socket.emit('message', data));
            return;
          }
          state.blobGets.push(message.count);
          const bytes = blobs.get(message.sha256);
          const slot = latest && Object.values(latest.release.slots).find((s) => s.sha256 === message.sha256);
          if (!bytes || !slot) return;
          const n = chunkCount(bytes.length, slot.chunkSize);
          for (let i = message.from; i < Math.min(n, message.from + message.count); i++) {
            const chunk = sliceChunk(bytes, i, slot.chunkSize).slice();
            if (tampered.has(message.sha256)) chunk[0] = chunk[0]! ^ 0xff;
            send(socket, { type: 'blob', sha256: message.sha256, index: i, data: toBase64(chunk) });
            chunksSent.set(message.sha256, (chunksSent.get(message.sha256) ?? 0) + 1);
          }
          return;
        }
        case 'ack':
          state.acks.push(message);
          return;
        case 'heartbeat':
          state.heartbeats.push(Date.now());
          return;
        case 'peers.get':
          // As the real relay: always answered (the player's liveness check relies on it).
          send(socket, { type: 'peers', peers: [] });
          return;
        default:
          return;
      }
    });
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get hellos() {
      return state.hellos;
    },
    get acks() {
      return state.acks;
    },
    get blobGets() {
      return state.blobGets;
    },
    get heartbeats() {
      return state.heartbeats;
    },
    chunksSent,
    get rotations() {
      return state.rotations;
    },
    set rotations(value: unknown[]) {
      state.rotations = value;
    },
    get connections() {
      return sockets.size;
    },
    publish(built) {
      latest = built.signed;
      for (const [sha, bytes] of built.blobs) blobs.set(sha, bytes);
      for (const socket of sockets) send(socket, { type: 'release', signed: built.signed });
    },
    sendRaw(text) {
      for (const socket of sockets) socket.send(text);
    },
    announce(signed) {
      for (const socket of sockets) socket.send(JSON.stringify({ type: 'release', signed }));
    },
    tamper(sha256) {
      tampered.add(sha256);
    },
    pause(sha256) {
      paused ??= { only: sha256, waiting: [] };
    },
    resume() {
      const waiting = paused?.waiting ?? [];
      paused = null;
      for (const replay of waiting) replay();
    },
    dropAll() {
      for (const socket of sockets) socket.terminate();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate();
        wss.close();
        http.close(() => resolve());
      }),
  };
}
