/**
 * The client side of the density benchmark, in its own process: thousands of players on raw sockets
 * — half over WebSocket (`/ws`, the handshake and frames written by hand: no library's per-socket
 * cost in this process), half over framed TCP. Each says hello (taking small blobs pushed, as the
 * player does), heartbeats at the interval its welcome names, and on a `release` waits for the chunks
 * of the `logic` slot it lacks — asking for those the relay did not push with the release — noting
 * when the last one arrived. Driven over IPC by `fanout-density.ts`.
 */
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import * as v from 'valibot';
import { BINARY_CHUNK_TAG, encodeFrame, utf8 } from '../protocol/index.ts';
import { FrameScanner } from './frame-scanner.ts';

const CommandSchema = v.variant('cmd', [
  v.object({
    cmd: v.literal('connect'),
    host: v.string(),
    httpPort: v.number(),
    tcpPort: v.number(),
    ws: v.number(),
    tcp: v.number(),
    room: v.string(),
    seq: v.number(),
    held: v.array(v.string()),
    batch: v.number(),
    heartbeatMs: v.number(),
  }),
  v.object({ cmd: v.literal('mark') }),
  v.object({ cmd: v.literal('collect'), timeoutMs: v.number() }),
  v.object({ cmd: v.literal('exit') }),
]);
type ConnectCommand = Extract<v.InferOutput<typeof CommandSchema>, { cmd: 'connect' }>;

const ReleaseSlots = v.object({
  type: v.literal('release'),
  signed: v.object({
    release: v.object({
      slots: v.record(v.string(), v.object({ sha256: v.string(), chunks: v.array(v.string()) })),
    }),
  }),
});
const Welcome = v.object({ type: v.literal('welcome'), heartbeatMs: v.number() });

const now = () => performance.timeOrigin + performance.now();

interface Player {
  readonly socket: Socket;
  /** Sends one of our messages (a TCP frame, or a masked WebSocket text frame). */
  readonly send: (message: object) => void;
  welcomed: boolean;
  wanted: number;
  /** The blob wanted (hex), and its chunks received. */
  wantSha: string | null;
  got: number;
  releaseAt: number | null;
  doneAt: number | null;
}

const players: Player[] = [];
let heartbeats: ReturnType<typeof setInterval> | undefined;
let heartbeatsSent = 0;
/** CPU time of this process at the `mark` before the publish: `collect` reports what the patch cost. */
let cpuAtMark = process.cpuUsage();

/** A client→server WebSocket frame: FIN + text, masked with the zero key (legal, and no XOR to do). */
function wsFrame(payload: Uint8Array): Buffer {
  const n = payload.length;
  const head = n < 126 ? 6 : n < 65536 ? 8 : 14;
  const out = Buffer.alloc(head + n);
  out[0] = 0x81;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  out.set(payload, head);
  return out;
}

/** Splits server→client WebSocket frames (unmasked); hands over each message's opcode and body. */
class WsScanner {
  private buffered: Buffer = Buffer.alloc(0);
  constructor(private readonly onMessage: (opcode: number, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    for (;;) {
      const b = this.buffered;
      if (b.length < 2) return;
      let length = b[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (b.length < at + length) return;
      this.onMessage(b[0]! & 0x0f, b.subarray(at, at + length));
      this.buffered = b.subarray(at + length);
    }
  }
}

function hello(c: ConnectCommand, id: string): object {
  const flags = { binaryChunks: true, pushBlobs: true };
  return { type: 'hello', v: 1, room: c.room, role: 'player', clientId: id, seq: c.seq, ...flags };
}

/** What a player does with a message body it could parse (small frames only). */
function onBody(p: Player, held: ReadonlySet<string>, body: Buffer, settle: () => void): void {
  if (body[0] === BINARY_CHUNK_TAG) {
    if (p.wantSha === null || body.subarray(1, 33).toString('hex') !== p.wantSha) return;
    p.got++;
    if (p.got >= p.wanted && p.doneAt === null) p.doneAt = now();
    return;
  }
  const json: unknown = JSON.parse(body.toString('utf8'));
  const welcome = v.safeParse(Welcome, json);
  if (welcome.success) {
    p.welcomed = true;
    settle();
    return;
  }
  const release = v.safeParse(ReleaseSlots, json);
  if (!release.success) return;
  p.releaseAt = now();
  const logic = release.output.signed.release.slots['logic'];
  if (!logic || held.has(logic.sha256)) return;
  p.wanted = logic.chunks.length;
  p.wantSha = logic.sha256;
  // What the relay pushed follows the release in the same read: ask only if it did not come.
  setImmediate(() => {
    if (p.got < p.wanted)
      p.send({ type: 'blob.get', sha256: logic.sha256, from: 0, count: logic.chunks.length });
  });
}

function open(c: ConnectCommand, kind: 'ws' | 'tcp', id: string, held: ReadonlySet<string>): Promise<Player> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: c.host, port: kind === 'ws' ? c.httpPort : c.tcpPort, noDelay: true });
    const send =
      kind === 'ws'
        ? (m: object) => socket.write(wsFrame(utf8(JSON.stringify(m))))
        : (m: object) => socket.write(encodeFrame(m));
    const p: Player = {
      socket,
      send,
      welcomed: false,
      wanted: 0,
      wantSha: null,
      got: 0,
      releaseAt: null,
      doneAt: null,
    };
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      resolve(p);
    };
    socket.on('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    socket.on('close', () => settle());
    if (kind === 'tcp') {
      const frames = new FrameScanner((_prefix, body) => {
        if (body) onBody(p, held, body, settle);
      });
      socket.on('connect', () => send(hello(c, id)));
      socket.on('data', (chunk: Buffer) => frames.push(chunk));
      return;
    }
    const messages = new WsScanner((opcode, body) => {
      if (opcode === 0x9)
        socket.write(Buffer.concat([Buffer.from([0x8a, 0x80 | body.length, 0, 0, 0, 0]), body]));
      else if (opcode === 0x1 || opcode === 0x2) onBody(p, held, body, settle);
    });
    let head = Buffer.alloc(0);
    let upgraded = false;
    socket.on('connect', () => {
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: ${c.host}:${c.httpPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) return messages.push(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (!head.subarray(0, 12).toString().includes('101')) return socket.destroy();
      upgraded = true;
      send(hello(c, id));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) messages.push(rest);
    });
  });
}

async function connectAll(c: ConnectCommand): Promise<void> {
  const held = new Set(c.held);
  const start = now();
  const kinds = [
    ...Array.from({ length: c.ws }, () => 'ws' as const),
    ...Array.from({ length: c.tcp }, () => 'tcp' as const),
  ];
  let failed = 0;
  // Heartbeats from the first welcome on, spread over the interval as real players' are (each at its
  // own phase); the relay drops a player silent for three intervals, connecting all takes a while.
  const ticks = 20;
  let tick = 0;
  heartbeats = setInterval(() => {
    for (let i = tick % ticks; i < players.length; i += ticks) {
      players[i]!.send({ type: 'heartbeat' });
      heartbeatsSent++;
    }
    tick++;
  }, c.heartbeatMs / ticks);
  // In batches, so that the listen backlog (and the relay's accept loop) is not flooded at once.
  for (let at = 0; at < kinds.length; at += c.batch) {
    const batch = kinds.slice(at, at + c.batch);
    const results = await Promise.allSettled(batch.map((kind, i) => open(c, kind, `d${at + i}`, held)));
    for (const r of results) {
      if (r.status === 'fulfilled' && r.value.welcomed) players.push(r.value);
      else failed++;
    }
  }
  process.send?.({ type: 'connected', ready: players.length, failed, ms: now() - start });
}

async function collect(timeoutMs: number): Promise<void> {
  const deadline = now() + timeoutMs;
  while (players.some((p) => p.doneAt === null) && now() < deadline)
    await new Promise((t) => setTimeout(t, 5));
  const done = players.flatMap((p) => (p.doneAt === null ? [] : [p.doneAt]));
  const released = players.flatMap((p) => (p.releaseAt === null ? [] : [p.releaseAt])).sort((a, b) => a - b);
  const open = players.filter((p) => !p.socket.destroyed).length;
  const cpu = process.cpuUsage(cpuAtMark);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.send?.({
    type: 'results',
    done,
    released,
    n: players.length,
    open,
    heartbeats: heartbeatsSent,
    cpuMs,
  });
}

process.on('message', (raw: unknown) => {
  const parsed = v.safeParse(CommandSchema, raw);
  if (!parsed.success) return;
  const c = parsed.output;
  if (c.cmd === 'connect') void connectAll(c);
  else if (c.cmd === 'mark') cpuAtMark = process.cpuUsage();
  else if (c.cmd === 'collect') void collect(c.timeoutMs);
  else {
    clearInterval(heartbeats);
    for (const p of players) p.socket.destroy();
    process.exit(0);
  }
});
process.send?.({ type: 'up' });
