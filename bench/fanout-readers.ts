/**
 * The receiving side of the fan-out benchmark, in its own process (as the seed's measurements had
 * their readers in one Python process): N sockets that speak our framed protocol, the seed's
 * protocol, or nothing at all (for the bare baselines), driven over IPC by `fanout.ts`.
 *
 * The readers are deliberately light: they track frame boundaries and parse only small frames (the
 * release, welcome, initial config), and count big ones (chunks, `hot_update`) by their first bytes.
 * Verification is not what is measured here; the integration tests verify every byte.
 */
import { connect as netConnect, type Socket } from 'node:net';
import * as v from 'valibot';
import { BINARY_CHUNK_TAG, encodeFrame } from '../protocol/index.ts';
import { fullGc } from './fanout-machine.ts';
import { FrameScanner } from './frame-scanner.ts';

const Kind = v.picklist(['ours', 'seed', 'raw']);
const CommandSchema = v.variant('cmd', [
  v.object({
    cmd: v.literal('connect'),
    kind: Kind,
    host: v.string(),
    port: v.number(),
    n: v.number(),
    room: v.string(),
    seq: v.number(),
    held: v.array(v.string()),
    sloth: v.boolean(),
    binary: v.boolean(),
    expectBytes: v.number(),
  }),
  v.object({
    cmd: v.literal('churn'),
    kind: Kind,
    host: v.string(),
    port: v.number(),
    room: v.string(),
    seq: v.number(),
    count: v.number(),
    durationMs: v.number(),
    binary: v.boolean(),
  }),
  v.object({ cmd: v.literal('collect'), timeoutMs: v.number() }),
  v.object({ cmd: v.literal('close') }),
  v.object({ cmd: v.literal('exit') }),
]);
type Command = v.InferOutput<typeof CommandSchema>;
type ConnectCommand = Extract<Command, { cmd: 'connect' }>;

const now = () => performance.timeOrigin + performance.now();

/**
 * Every socket reads into this one buffer (`onread`): a read is handled before the next one starts,
 * and what the readers keep is copied out (`FrameScanner`). With a fresh 64 KiB buffer per read (the
 * default), counting 2.5 GB cost the readers more CPU than the server spent sending it, and their
 * garbage collections landed at random inside the measured time.
 */
const READ_BUFFER = Buffer.alloc(256 * 1024);
const BLOB_PREFIX = Buffer.from('{"type":"blob"');
const HOT_PREFIX = Buffer.from('{"type":"hot_update"');

const ReleaseSlots = v.object({
  type: v.literal('release'),
  signed: v.object({
    release: v.object({
      seq: v.number(),
      slots: v.record(v.string(), v.object({ sha256: v.string(), chunks: v.array(v.string()) })),
    }),
  }),
});

interface Reader {
  socket: Socket;
  ready: boolean;
  doneAt: number | null;
  /** When the release announcement (ours) or the first bulk byte (seed, raw) arrived. */
  announcedAt: number | null;
  /** When the first byte of the payload (a chunk, the `hot_update`, raw bytes) arrived. */
  firstAt: number | null;
  wanted: number;
  got: number;
  bytes: number;
}

let readers: Reader[] = [];
let extra: Socket[] = [];
let churning = false;
/** CPU time of this process when the last connect finished: `collect` reports what the push cost. */
let cpuAtStart = process.cpuUsage();
/** Reads (`data` events) and their bytes since the last connect finished. */
let reads = 0;
let readBytes = 0;
/**
 * Readers heartbeat as players do (every `HEARTBEAT_EVERY_MS`, below the relay's 10 s interval):
 * on a loaded machine a 500-client run can outlast the relay's three missed heartbeats (30 s), and
 * a silent reader would be dropped, not served.
 */
const HEARTBEAT_EVERY_MS = 5_000;
let heartbeats: ReturnType<typeof setInterval> | undefined;
let heartbeatKind: 'ours' | 'seed' | 'raw' = 'raw';
/** Our protocol's and the seed's keep-alive are the same frame. */
const HEARTBEAT = encodeFrame({ type: 'heartbeat' });

function beat(): void {
  if (heartbeatKind === 'raw') return;
  for (const r of readers) if (!r.socket.destroyed) r.socket.write(HEARTBEAT);
  for (const s of extra) if (!s.destroyed) s.write(HEARTBEAT);
}

function send(message: object): void {
  process.send?.(message);
}

function openReader(
  c: Pick<ConnectCommand, 'kind' | 'host' | 'port' | 'room' | 'seq' | 'expectBytes' | 'binary'>,
  id: string,
  held: Set<string>,
  sloth: boolean,
): Promise<Reader> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({
      host: c.host,
      port: c.port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number) => {
          onData(READ_BUFFER.subarray(0, n));
          return true;
        },
      },
    });
    const r: Reader = {
      socket,
      ready: c.kind === 'raw',
      doneAt: null,
      announcedAt: null,
      firstAt: null,
      wanted: 0,
      got: 0,
      bytes: 0,
    };
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const scanner = new FrameScanner(onFrame, true);
    function onFrame(prefix: Buffer, body: Buffer | null): void {
      if (c.kind === 'ours') {
        if (prefix[0] === BINARY_CHUNK_TAG || prefix.subarray(0, BLOB_PREFIX.length).equals(BLOB_PREFIX)) {
          r.firstAt ??= now();
          r.got++;
          if (r.got >= r.wanted && r.wanted > 0 && r.doneAt === null) r.doneAt = now();
          return;
        }
        if (!body) return;
        const json: unknown = JSON.parse(body.toString('utf8'));
        if (typeof json === 'object' && json !== null && 'type' in json && json.type === 'welcome') {
          r.ready = true;
          settle();
          return;
        }
        const release = v.safeParse(ReleaseSlots, json);
        if (!release.success) return;
        r.announcedAt ??= now();
        for (const slot of Object.values(release.output.signed.release.slots)) {
          if (held.has(slot.sha256)) continue;
          for (let from = 0; from < slot.chunks.length; from += 256) {
            const count = Math.min(256, slot.chunks.length - from);
            socket.write(encodeFrame({ type: 'blob.get', sha256: slot.sha256, from, count }));
            r.wanted += count;
          }
        }
        if (sloth) socket.pause();
      } else if (c.kind === 'seed') {
        if (!r.ready) {
          r.ready = true;
          settle();
          if (sloth) socket.pause();
          return;
        }
        if (prefix.subarray(0, HOT_PREFIX.length).equals(HOT_PREFIX) && r.doneAt === null) r.doneAt = now();
      }
    }
    // The first bulk byte: a chunk frame's first bytes arrive with it; a seed frame's (or raw bytes')
    // first bytes are the first data after the reader is ready.
    const firstData = (): void => {
      if (r.ready && r.firstAt === null && c.kind !== 'ours') {
        r.firstAt = now();
        r.announcedAt = r.firstAt;
      }
    };
    socket.on('connect', () => {
      if (c.kind === 'ours') {
        socket.write(
          encodeFrame({
            type: 'hello',
            v: 1,
            room: c.room,
            role: 'player',
            clientId: id,
            seq: c.seq,
            ...(c.binary ? { binaryChunks: true } : {}),
          }),
        );
      } else if (c.kind === 'seed') {
        socket.write(JSON.stringify({ type: 'client_info', version: '1.0.0', platform: 'bench' }));
      } else settle();
    });
    function onData(chunk: Buffer): void {
      reads++;
      readBytes += chunk.length;
      firstData();
      if (c.kind === 'raw') {
        r.bytes += chunk.length;
        if (r.bytes >= c.expectBytes && r.doneAt === null) r.doneAt = now();
        return;
      }
      scanner.push(chunk);
    }
    socket.on('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    socket.on('close', () => settle());
  });
}

async function connectAll(c: ConnectCommand): Promise<void> {
  const held = new Set(c.held);
  const start = now();
  if (c.sloth) extra.push((await openReader(c, 'sloth', held, true)).socket);
  const results = await Promise.allSettled(
    Array.from({ length: c.n }, (_, i) => openReader(c, `r${i}`, held, false)),
  );
  readers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  heartbeatKind = c.kind;
  clearInterval(heartbeats);
  heartbeats = setInterval(beat, HEARTBEAT_EVERY_MS);
  const ready = readers.filter((r) => r.ready).length;
  fullGc();
  cpuAtStart = process.cpuUsage();
  reads = 0;
  readBytes = 0;
  send({ type: 'connected', ready, failed: c.n - ready, ms: now() - start });
}

async function churn(c: Extract<Command, { cmd: 'churn' }>): Promise<void> {
  churning = true;
  const until = now() + c.durationMs;
  const one = async (i: number) => {
    while (churning && now() < until) {
      try {
        const r = await openReader({ ...c, expectBytes: 0 }, `churn${i}`, new Set(), false);
        extra.push(r.socket);
        await new Promise((t) => setTimeout(t, 20 + Math.random() * 150));
        r.socket.destroy();
      } catch {
        await new Promise((t) => setTimeout(t, 20));
      }
    }
  };
  await Promise.all(Array.from({ length: c.count }, (_, i) => one(i)));
}

async function collect(timeoutMs: number): Promise<void> {
  const deadline = now() + timeoutMs;
  while (readers.some((r) => r.doneAt === null) && now() < deadline)
    await new Promise((t) => setTimeout(t, 5));
  churning = false;
  const done = readers.flatMap((r) => (r.doneAt === null ? [] : [r.doneAt]));
  const announced = readers.flatMap((r) => (r.announcedAt === null ? [] : [r.announcedAt]));
  const first = readers.flatMap((r) => (r.firstAt === null ? [] : [r.firstAt]));
  const cpu = process.cpuUsage(cpuAtStart);
  send({
    type: 'results',
    done,
    announced,
    first,
    n: readers.length,
    cpuMs: (cpu.user + cpu.system) / 1000,
    sysMs: cpu.system / 1000,
    reads,
    readBytes,
  });
}

function closeAll(): void {
  clearInterval(heartbeats);
  churning = false;
  for (const r of readers) r.socket.destroy();
  for (const s of extra) s.destroy();
  readers = [];
  extra = [];
  send({ type: 'closed' });
}

process.on('message', (raw: unknown) => {
  const parsed = v.safeParse(CommandSchema, raw);
  if (!parsed.success) return;
  const c = parsed.output;
  switch (c.cmd) {
    case 'connect':
      void connectAll(c);
      return;
    case 'churn':
      void churn(c);
      return;
    case 'collect':
      void collect(c.timeoutMs);
      return;
    case 'close':
      return closeAll();
    case 'exit':
      closeAll();
      process.exit(0);
  }
});
send({ type: 'up' });
