/**
 * One measurement of the fan-out benchmark: the relay (in this process) publishing to N readers (in
 * a child process, `fanout-readers.ts`), or a bare `net` server writing the same payload to N
 * readers. Every time is on one clock (`performance.timeOrigin + performance.now()`, which agrees
 * across processes to well under a millisecond).
 *
 * A relay run publishes as the admin site and the CLI do, through the one publisher's HTTP client
 * (`RelayApi.publish`): the release goes up, the relay answers `BLOB_MISSING` for big blobs, they are
 * uploaded raw, and the release goes up again. What a user sees is from that first request to the
 * last byte at the last client; its parts are printed apart (upload, accept, fan-out).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import { ApiPath, type SlotInput } from '../protocol/index.ts';
import { buildRelease } from '../publisher/build.ts';
import { RelayApi } from '../publisher/relay-api.ts';
import type { BaselineMode } from './fanout-baseline.ts';
import type { PayloadName, Proto } from './fanout-payloads.ts';
import { relayFor } from './fanout-relays.ts';
import { BenchChild } from './bench-child.ts';
import { fullGc } from './fanout-machine.ts';
import { startWindowProfile, type WindowProfile } from './fanout-profile.ts';
import { tcpCounters, tcpCountersSince, type TcpCounters } from './tcp-counters.ts';
import { threadCpuMs, threadCpuSince } from './thread-cpu.ts';

/** A relay run's variant: `sloth` adds a client, connected first, that never reads. */
export type Variant = 'plain' | 'sloth' | 'churn';

/** One measurement. Times in ms; the delivery times are from the relay's accept (bare: its first write). */
export interface Row {
  readonly who: string;
  /** The protocol of a relay run, or whose bytes a baseline wrote. */
  readonly proto: Proto;
  readonly n: number;
  readonly payload: PayloadName;
  readonly variant: Variant | 'baseline';
  readonly round: number;
  readonly connectMs: number | null;
  /** First publish request → the request that was accepted (the relay's BLOB_MISSING and the uploads). */
  readonly uploadMs: number | null;
  /** The request that was accepted → the relay accepted it (verified, durable, announced). */
  readonly acceptMs: number | null;
  readonly first: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  /** Accepted (bare: first write) → the last byte at the last client. */
  readonly max: number | null;
  /** First publish request → the last byte at the last client (bare: same as `max`). */
  readonly userMs: number | null;
  readonly delivered: number;
  /** CPU time (user + system) the server's process spent from the accept (bare: the push) to the end. */
  readonly serverCpuMs: number;
  /** The part of it spent in the kernel (system time): the socket writes themselves, mostly. */
  readonly serverSysMs: number;
  /**
   * The part of it spent by the process's main thread, the event loop (the rest is its other
   * threads: V8's garbage collection and compilation, libuv's pool — all named `node` on Node 20); null where /proc is not there. 10 ms resolution.
   */
  readonly serverLoopMs: number | null;
  /** The server process's CPU by thread over the same time (`main 820 ms, V8 Worker 310 ms, …`). */
  readonly serverThreads: string;
  /** Write slots the relay took back from stalled holders in the run (null: a bare server). */
  readonly revocations: number | null;
  /**
   * The kernel's TCP during the push (`tcp-counters.ts`): entries into memory pressure, zero-window
   * advertisements, tail loss probes; null off Linux.
   */
  readonly tcp: TcpCounters | null;
  /** CPU time the readers' process spent meanwhile. */
  readonly readerCpuMs: number;
  /** The part of it spent in the kernel. */
  readonly readerSysMs: number;
  /** The readers' reads (`data` events), and their mean size in bytes. */
  readonly readerReads: number;
  readonly readerReadBytes: number;
  /** Accepted (bare: first write) → the last client had the announcement (bare, seed: a first byte). */
  readonly announcedAll: number | null;
  /** Accepted (bare: first write) → the last client had its first payload byte (ours: a whole chunk). */
  readonly firstByteAll: number | null;
}

export const now = (): number => performance.timeOrigin + performance.now();

const ReplySchema = v.variant('type', [
  v.object({ type: v.literal('up') }),
  v.object({ type: v.literal('connected'), ready: v.number(), failed: v.number(), ms: v.number() }),
  v.object({
    type: v.literal('results'),
    done: v.array(v.number()),
    announced: v.array(v.number()),
    first: v.array(v.number()),
    n: v.number(),
    cpuMs: v.number(),
    sysMs: v.number(),
    reads: v.number(),
    readBytes: v.number(),
  }),
  v.object({ type: v.literal('closed') }),
]);
type Reply = v.InferOutput<typeof ReplySchema>;

/** The reader process. */
export class Readers extends BenchChild<Reply> {
  constructor() {
    super(fileURLToPath(new URL('./fanout-readers.ts', import.meta.url)), ReplySchema);
  }
}

function stats(doneAt: number[], t0: number): Pick<Row, 'first' | 'p50' | 'p95' | 'max'> {
  if (doneAt.length === 0) return { first: null, p50: null, p95: null, max: null };
  const ms = doneAt.map((t) => t - t0).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)]!;
  return { first: ms[0]!, p50: at(0.5), p95: at(0.95), max: ms.at(-1)! };
}

/** When the last client had the announcement, and its first payload byte, from `t0`. */
function phases(
  results: { readonly announced: readonly number[]; readonly first: readonly number[] },
  t0: number,
): Pick<Row, 'announcedAll' | 'firstByteAll'> {
  const last = (xs: readonly number[]) => (xs.length === 0 ? null : Math.max(...xs) - t0);
  return { announcedAll: last(results.announced), firstByteAll: last(results.first) };
}

/** A relay run. */
export interface RelayRun {
  readonly proto: Proto;
  readonly n: number;
  readonly payload: PayloadName;
  readonly variant: Variant;
  readonly round: number;
  readonly timeoutMs: number;
  /** Ours: take chunks as binary frames (say so in hello). */
  readonly binary: boolean;
  /** Write slots of the relay's fan-out scheduler (default: the relay's own). */
  readonly active?: number;
  /** Name the slot count in the row's `who` (several were asked for). */
  readonly labelActive?: boolean;
  readonly sliceBytes?: number;
  readonly windowBytes?: number;
  /** The relay is kept across runs (`fanout-relays.ts`); labelled `warm relay`. */
  readonly warm?: boolean;
}

/** Publishes to N readers through the run's relay (started for it, or kept warm: `fanout-relays.ts`). */
export async function runRelay(
  readers: Readers,
  o: RelayRun,
  slots: Record<string, SlotInput>,
): Promise<Row> {
  const host = await relayFor(o, slots);
  const { server, key, latest } = host;
  let published = latest;
  try {
    const next = await buildRelease({
      room: 'bench',
      key,
      previous: latest.release,
      version: String(latest.release.seq + 1),
      slots: host.slots,
    });
    const connected = await readers.ask(
      {
        cmd: 'connect',
        kind: o.proto,
        host: server.host,
        port: server.tcpPort,
        n: o.n,
        room: 'bench',
        seq: latest.release.seq,
        held: Object.values(latest.release.slots).map((s) => s.sha256),
        sloth: o.variant === 'sloth',
        binary: o.binary,
        expectBytes: 0,
      },
      'connected',
    );
    fullGc();
    let accepted = 0;
    let cpu = process.cpuUsage();
    let threads = threadCpuMs();
    let profile: Promise<WindowProfile | null> = Promise.resolve(null);
    const revocationsBefore = server.hub.scheduler.revocations;
    const off = server.relay.onRelease(() => {
      accepted = now();
      cpu = process.cpuUsage();
      threads = threadCpuMs();
      profile = startWindowProfile();
    });
    if (o.variant === 'churn') {
      readers.tell({
        cmd: 'churn',
        kind: o.proto,
        host: server.host,
        port: server.tcpPort,
        room: 'bench',
        seq: latest.release.seq,
        count: Math.max(5, Math.round(o.n / 10)),
        durationMs: 3_000,
        binary: o.binary,
      });
    }
    // The publisher's own HTTP client; the time of the last release request is the accept's start.
    // Its uploads go the three-request way (release, BLOB_MISSING, upload, release again), not as one
    // bundle: the upload and the accept of a release whose blobs are up are timed apart.
    let lastPost = 0;
    const api = new RelayApi(
      server.url,
      (input, init) => {
        if (init?.method === 'POST' && String(input).endsWith(ApiPath.releases('bench'))) lastPost = now();
        return fetch(input, init);
      },
      null,
      { bundles: false },
    );
    const tcpBefore = tcpCounters();
    const started = now();
    await api.publish(next.signed, next.blobs);
    published = next.signed;
    off();
    const results = await readers.ask({ cmd: 'collect', timeoutMs: o.timeoutMs }, 'results');
    const tcp = tcpCountersSince(tcpBefore);
    const serverCpu = process.cpuUsage(cpu);
    const { loopMs: serverLoopMs, byThread: serverThreads } = threadCpuSince(threads);
    await (await profile)?.stop(`fanout-${o.round}-${o.proto}-${o.variant}`);
    await readers.ask({ cmd: 'close' }, 'closed');
    const delivery = stats(results.done, accepted);
    return {
      who:
        (o.proto === 'ours' && !o.binary ? 'ours (JSON chunks)' : o.proto) +
        (o.labelActive ? ` K=${o.active}` : '') +
        (o.warm ? ', warm relay' : ''),
      proto: o.proto,
      n: o.n,
      payload: o.payload,
      variant: o.variant,
      round: o.round,
      connectMs: connected.failed === 0 ? connected.ms : null,
      uploadMs: lastPost - started,
      acceptMs: accepted - lastPost,
      ...delivery,
      userMs: delivery.max === null ? null : accepted + delivery.max - started,
      delivered: results.done.length,
      serverCpuMs: (serverCpu.user + serverCpu.system) / 1000,
      serverSysMs: serverCpu.system / 1000,
      serverLoopMs,
      serverThreads,
      revocations: server.hub.scheduler.revocations - revocationsBefore,
      tcp,
      readerCpuMs: results.cpuMs,
      readerSysMs: results.sysMs,
      readerReads: results.reads,
      readerReadBytes: results.readBytes,
      ...phases(results, accepted),
    };
  } finally {
    await host.done(published);
  }
}

/** A bare server's run. */
export interface BareRun {
  readonly proto: Proto;
  readonly n: number;
  readonly payload: PayloadName;
  readonly round: number;
  readonly mode: BaselineMode;
  readonly timeoutMs: number;
}

const BareReplySchema = v.variant('type', [
  v.object({ type: v.literal('up') }),
  v.object({ type: v.literal('listening'), port: v.number() }),
  v.object({ type: v.literal('loaded'), bytes: v.number() }),
  v.object({ type: v.literal('pushing'), t0: v.number() }),
  v.object({
    type: v.literal('cpu'),
    cpuMs: v.number(),
    sysMs: v.number(),
    loopMs: v.nullable(v.number()),
    byThread: v.string(),
  }),
  v.object({ type: v.literal('closed') }),
]);
type BareReply = v.InferOutput<typeof BareReplySchema>;

/**
 * The bare servers' process (`fanout-bare.ts`): apart from the relay's, so that neither run leaves
 * the other's V8 state (optimized code, object shapes) deoptimized.
 */
export class BareProcess extends BenchChild<BareReply> {
  private loaded: Uint8Array | null = null;
  private dir: string | null = null;

  constructor() {
    super(fileURLToPath(new URL('./fanout-bare.ts', import.meta.url)), BareReplySchema);
  }

  /** Hands the process the bytes its servers write (through a file: megabytes, once per payload). */
  async load(bytes: Uint8Array): Promise<void> {
    const same =
      this.loaded !== null &&
      (this.loaded === bytes ||
        (this.loaded.length === bytes.length && Buffer.compare(this.loaded, bytes) === 0));
    if (same) return;
    this.dir ??= await mkdtemp(join(tmpdir(), 'patchcast-bare-'));
    const file = join(this.dir, 'payload');
    await writeFile(file, bytes);
    await this.ask({ cmd: 'load', file }, 'loaded');
    this.loaded = bytes;
  }

  override async exit(): Promise<void> {
    await super.exit();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** A bare `net` server (in the bare servers' process) writes `bytes` to N readers. */
export async function runBaseline(
  readers: Readers,
  bareProcess: BareProcess,
  o: BareRun,
  bytes: Uint8Array,
): Promise<Row> {
  await bareProcess.load(bytes);
  const { port } = await bareProcess.ask({ cmd: 'start' }, 'listening');
  try {
    const connected = await readers.ask(
      {
        cmd: 'connect',
        kind: 'raw',
        host: '127.0.0.1',
        port,
        n: o.n,
        room: 'x',
        seq: 0,
        held: [],
        sloth: false,
        binary: false,
        expectBytes: bytes.length,
      },
      'connected',
    );
    const tcpBefore = tcpCounters();
    const { t0 } = await bareProcess.ask({ cmd: 'push', n: o.n, mode: o.mode }, 'pushing');
    const results = await readers.ask({ cmd: 'collect', timeoutMs: o.timeoutMs }, 'results');
    const tcp = tcpCountersSince(tcpBefore);
    const serverCpu = await bareProcess.ask({ cmd: 'stop' }, 'cpu');
    await readers.ask({ cmd: 'close' }, 'closed');
    const delivery = stats(results.done, t0);
    return {
      who: `bare ${o.proto}: ${o.mode.kind === 'all' ? 'all at once' : `${o.mode.size} at a time`}`,
      proto: o.proto,
      n: o.n,
      payload: o.payload,
      variant: 'baseline',
      round: o.round,
      connectMs: connected.failed === 0 ? connected.ms : null,
      uploadMs: null,
      acceptMs: null,
      ...delivery,
      userMs: delivery.max,
      delivered: results.done.length,
      serverCpuMs: serverCpu.cpuMs,
      serverSysMs: serverCpu.sysMs,
      serverLoopMs: serverCpu.loopMs,
      serverThreads: serverCpu.byThread,
      revocations: null,
      tcp,
      readerCpuMs: results.cpuMs,
      readerSysMs: results.sysMs,
      readerReads: results.reads,
      readerReadBytes: results.readBytes,
      ...phases(results, t0),
    };
  } finally {
    await bareProcess.ask({ cmd: 'close' }, 'closed');
  }
}
