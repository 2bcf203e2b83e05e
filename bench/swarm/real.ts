/**
 * The swarm benchmark's real part: the relay in this process, N headless players (node-datachannel,
 * PeerJS, the production swarm) in `--procs` child processes (`players.ts`), a texture of random
 * pixels published, and each player's publish → applied time. Each swarm run has, as its baseline in
 * the same run, the same N players fetching from the relay alone, against the same relay and limit.
 *
 * Every figure of a loaded machine is the machine's, so each row also says how much CPU the run took
 * (relay process + players, publish → all applied) and the load average when it ended.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { TestRoom, TestServer } from '../../signaling/testing/helpers.ts';
import { collectGarbage } from './collect-garbage.ts';
import { threadCpuMs, threadCpuSince } from '../thread-cpu.ts';
import type { PlayersReply } from './players.ts';
import { addSwarmCounts, noSwarmCounts, type SwarmCounts } from './swarm-counts.ts';
import type { ServedCounts } from '../../signaling/hub/deferral.ts';

/** One run: N players, one mode, one patch, one relay limit. */
export interface RealRow {
  readonly run: number;
  /** The relay's egress limit (bytes/s), or null. */
  readonly limit: number | null;
  readonly n: number;
  /** The texture's size as asked for (`--size`); {@link sizeBytes} is the PNG's, a little off. */
  readonly askedBytes: number;
  readonly sizeBytes: number;
  readonly mode: 'relay only' | 'swarm';
  /** 1 if this mode ran first of its pair (same run, limit, N, patch), 2 if second. */
  readonly order: 1 | 2;
  readonly applied: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  /** Chunk bytes players got from the relay. */
  readonly relayBytes: number;
  /** Everything the relay wrote (its `bytesSent` metric), JSON and frames included. */
  readonly relayWireBytes: number;
  readonly peerBytes: number;
  /** CPU of the relay's process and the players' processes, publish → all applied (ms). */
  readonly cpuMs: number;
  /** Of which the relay's process (ms). */
  readonly relayCpuMs: number;
  /** One-minute load average at the end of the run. */
  readonly load: number;
  /** Mean links per player when the patch was published, and when the last player applied it. */
  readonly linksBefore: number;
  readonly linksAfter: number;
  /** Publish → a player's first link, median and max over the players that linked (NaN: none did). */
  readonly linkP50: number;
  readonly linkMax: number;
  /** The relay's chunk answers in the window, by why (`DeferralPolicy.counts`). */
  readonly served: ServedCounts;
  /** The players' swarm counters, summed. */
  readonly swarm: SwarmCounts;
  /** CPU by thread: the relay's process, then each players' process. */
  readonly threads: readonly string[];
}

/** Options of the real part. */
export interface RealOptions {
  readonly procs: number;
  readonly baseline: boolean;
  /** When swarm players dial peers (`PlayerSwarmOptions.links`). */
  readonly links: 'on-demand' | 'eager';
}

/** A child process of players (`players.ts`). */
class PlayerGroup {
  private readonly child: ChildProcess;
  private waiting: ((reply: PlayersReply) => void) | null = null;

  constructor() {
    const file = fileURLToPath(new URL('./players.ts', import.meta.url));
    this.child = fork(file, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // The child speaks only the replies of `players.ts` (this benchmark's own code, not the outside).
    this.child.on('message', (reply: PlayersReply) => this.answer(reply));
    this.child.on('exit', (code, signal) => {
      this.gone = `the players' process exited (${signal ?? `code ${code}`})`;
      this.answer({ type: 'error', message: this.gone });
    });
  }

  /** Why the child is gone, once it is. */
  gone: string | null = null;

  private answer(reply: PlayersReply): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.(reply);
  }

  /** Sends a command and waits for its reply (one at a time). */
  ask(command: object): Promise<PlayersReply> {
    return new Promise((resolve, reject) => {
      if (this.gone) return reject(new Error(this.gone));
      this.waiting = (reply) => (reply.type === 'error' ? reject(new Error(reply.message)) : resolve(reply));
      this.child.send(command);
    });
  }

  exit(): void {
    if (!this.gone) this.child.send({ cmd: 'exit' });
  }
}

/** A PNG of about `bytes` bytes of random pixels: incompressible, and new on every call. */
async function randomPng(bytes: number): Promise<Uint8Array> {
  const side = Math.ceil(Math.sqrt(bytes / 3));
  const raw = randomBytes(side * side * 3);
  return new Uint8Array(
    await sharp(raw, { raw: { width: side, height: side, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer(),
  );
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function relayWireBytes(server: TestServer): Promise<number> {
  const metric = await server.metrics.bytesSent.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

const cpuMsOf = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000;
const wall = (): number => performance.timeOrigin + performance.now();

/** One run: N players (swarm or not) follow the room; a texture is published; every apply is timed. */
async function runOnce(
  server: TestServer,
  room: TestRoom,
  groups: readonly PlayerGroup[],
  n: number,
  sizeBytes: number,
  swarm: boolean,
  run: number,
  options: RealOptions,
  order: 1 | 2 = 1,
): Promise<RealRow> {
  const current = room.latest?.release.seq ?? 0;
  const ids = Array.from({ length: n }, (_, i) => `bench-${swarm ? 's' : 'r'}-${run}-${i}`);
  const used = groups.slice(0, Math.min(groups.length, n));
  const share = (g: number) => ids.filter((_, i) => i % used.length === g);
  try {
    await Promise.all(
      used.map((group, g) =>
        group.ask({
          cmd: 'start',
          server: server.url,
          tcpPort: server.tcpPort,
          room: room.room,
          publicKey: room.key.publicKey,
          swarm,
          links: options.links,
          ids: share(g),
          seq: current,
        }),
      ),
    );
    const wireBefore = await relayWireBytes(server);
    const texture = await randomPng(sizeBytes);
    const built = await room.build({
      slots: { background: { kind: 'texture', mime: 'image/png', bytes: texture, version: `${Date.now()}` } },
    });
    const seq = built.signed.release.seq;
    const limit = server.hub.options.egressBytesPerSecond;
    // A limited relay alone needs N copies' time; give every run three times that, at least 2 min.
    const timeoutMs = Math.max(120_000, limit ? (3000 * n * texture.length) / limit : 0);
    const watching = used.map((group) => group.ask({ cmd: 'watch', seq, timeoutMs }));
    await new Promise((r) => setTimeout(r, 100)); // the watches are in place
    collectGarbage(); // the relay's garbage of the last run (its frames of N copies), not in this one
    const servedBefore = { ...server.hub.deferral.counts };
    const cpu = process.cpuUsage();
    const threads = threadCpuMs();
    const started = wall();
    const published = await room.publish(built);
    if (published.status !== 201) throw new Error(`publish refused: ${JSON.stringify(published.body)}`);
    const replies = await Promise.all(watching);
    const relayCpu = cpuMsOf(process.cpuUsage(cpu));
    const relayThreads = threadCpuSince(threads).byThread;
    const served = { ...server.hub.deferral.counts };
    for (const k of Object.keys(served) as (keyof ServedCounts)[]) served[k] -= servedBefore[k];
    let relayBytes = 0;
    let peerBytes = 0;
    let cpuMs = relayCpu;
    let linksBefore = 0;
    let linksAfter = 0;
    const times: number[] = [];
    const linked: number[] = [];
    for (const reply of replies) {
      if (reply.type !== 'done') throw new Error(`players: ${reply.type}`);
      relayBytes += reply.relayBytes;
      peerBytes += reply.peerBytes;
      cpuMs += reply.cpuMs;
      linksBefore += reply.linksBefore.reduce((s, l) => s + l, 0);
      linksAfter += reply.linksAfter.reduce((s, l) => s + l, 0);
      for (const at of reply.appliedAt) if (at !== null) times.push(at - started);
      for (const at of reply.linkedAt) if (at !== null) linked.push(at - started);
    }
    const counts = noSwarmCounts();
    const threadLines = [`relay: ${relayThreads}`];
    for (const reply of replies) {
      if (reply.type !== 'done') continue;
      addSwarmCounts(counts, reply.swarm);
      threadLines.push(`players: ${reply.threads}`);
    }
    times.sort((a, b) => a - b);
    linked.sort((a, b) => a - b);
    return {
      run,
      limit,
      n,
      askedBytes: sizeBytes,
      sizeBytes: texture.length,
      mode: swarm ? 'swarm' : 'relay only',
      order,
      applied: times.length,
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      max: times.length === n ? times.at(-1)! : NaN,
      relayBytes,
      relayWireBytes: (await relayWireBytes(server)) - wireBefore,
      peerBytes,
      cpuMs,
      relayCpuMs: relayCpu,
      load: loadavg()[0]!,
      linksBefore: linksBefore / n,
      linksAfter: linksAfter / n,
      linkP50: percentile(linked, 50),
      linkMax: linked.at(-1) ?? NaN,
      served,
      swarm: counts,
      threads: threadLines,
    };
  } finally {
    await Promise.all(used.map((group) => group.ask({ cmd: 'stop' })));
  }
}

/**
 * Whether the swarm runs first in run `run` (1-based) for its `pair`-th size × N (0-based): the
 * order alternates from one N to the next and, for each N, from one run to the next (ABBA) — so that
 * whatever the first of two runs pays or gains (warm code, a load spike) falls on both modes alike.
 */
export function swarmFirst(run: number, pair: number): boolean {
  return (run - 1 + pair) % 2 === 1;
}

/**
 * Every size × N against one relay with the given egress limit: relay-only and the swarm with the
 * same N, in the order {@link swarmFirst} gives, each
 * in a fresh room, so no run starts by catching up the last one's patch.
 */
export async function realRuns(
  limit: number | null,
  sizes: readonly number[],
  ns: readonly number[],
  options: RealOptions,
  run: number,
  rows: RealRow[],
): Promise<void> {
  const { startTestServer, TestRoom } = await import('../../signaling/testing/helpers.ts');
  const server = await startTestServer({ hub: { egressBytesPerSecond: limit } });
  const groups = Array.from({ length: Math.max(1, options.procs) }, () => new PlayerGroup());
  try {
    let rooms = 0;
    const fresh = () => TestRoom.create(server.url, `bench-${++rooms}`);
    // Warm-up, not recorded: the first transfer of a fresh process pays for compiling the code.
    const few = Math.min(4 * groups.length, Math.max(...ns));
    for (const swarm of [false, true])
      await runOnce(server, await fresh(), groups, few, 256 << 10, swarm, 0, options);
    let pair = 0;
    for (const size of sizes) {
      for (const n of ns) {
        const modes = !options.baseline ? [true] : swarmFirst(run, pair++) ? [true, false] : [false, true];
        for (const [i, swarm] of modes.entries()) {
          const order = i === 0 ? 1 : 2;
          rows.push(await runOnce(server, await fresh(), groups, n, size, swarm, run, options, order));
        }
        console.error(
          `done: run ${run}, limit ${rate(limit)}, N=${n} ${mb(size)} (load ${loadavg()[0]!.toFixed(1)})`,
        );
      }
    }
  } finally {
    for (const group of groups) group.exit();
    await server.dispose();
  }
}

const mb = (b: number): string => `${(b / (1 << 20)).toFixed(2)} MB`;
const ms = (t: number): string =>
  Number.isFinite(t) ? (t >= 1000 ? `${(t / 1000).toFixed(2)} s` : `${Math.round(t)} ms`) : '—';
const rate = (limit: number | null): string =>
  limit === null ? 'none' : `${Math.round((limit * 8) / 1e6)} Mbit/s`;

/** The relay-only row of the same run, limit, N and patch size as `row`. */
function baselineOf(rows: readonly RealRow[], row: RealRow): RealRow | undefined {
  return rows.find(
    (b) =>
      b.mode === 'relay only' &&
      b.run === row.run &&
      b.limit === row.limit &&
      b.n === row.n &&
      Math.abs(b.sizeBytes - row.sizeBytes) < 1 << 16,
  );
}

/**
 * The issue's targets for a swarm row: no limit, at most 1.1× the relay alone; a limit that binds,
 * at least 3× faster with relay egress at most 3× the patch and offload at least 90 %.
 */
export function verdict(rows: readonly RealRow[], row: RealRow): string {
  const base = baselineOf(rows, row);
  if (row.mode !== 'swarm' || !base) return '';
  const ratio = row.max / base.max;
  const offload = row.peerBytes / Math.max(1, row.peerBytes + row.relayBytes);
  if (row.limit === null) return ratio <= 1.1 ? 'yes (≤ 1.1×)' : 'no (≤ 1.1×)';
  const ok = base.max / row.max >= 3 && row.relayBytes <= 3 * row.sizeBytes && offload >= 0.9;
  return `${ok ? 'yes' : 'no'} (≥ 3× faster, ≤ 3× egress, ≥ 90 %)`;
}

/** Prints the table of the real part. */
export function printReal(rows: readonly RealRow[], procs: number, links: string): void {
  console.log(
    `\nReal WebRTC (node-datachannel on loopback): relay in this process, players in ${procs} child process(es), links ${links}; one run per row\n`,
  );
  console.log(
    '| run | relay limit | N | patch | mode | order | applied | p50 | p95 | max | ÷ relay only (max) | relay sent (chunks) | ÷ patch | relay wire bytes | peer bytes | offload | links per player (publish → end) | first link p50 / max | CPU | ÷ relay only (CPU) | load | target met |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const all = r.relayBytes + r.peerBytes;
    const base = r.mode === 'swarm' ? baselineOf(rows, r) : undefined;
    const ratio = base ? `${(r.max / base.max).toFixed(2)}×` : '';
    const cpuRatio = base ? `${(r.cpuMs / base.cpuMs).toFixed(2)}×` : '';
    const links = r.mode === 'swarm' ? `${r.linksBefore.toFixed(1)} → ${r.linksAfter.toFixed(1)}` : '';
    const linkedIn =
      r.mode === 'swarm' && Number.isFinite(r.linkMax) ? `${ms(r.linkP50)} / ${ms(r.linkMax)}` : '';
    console.log(
      `| ${r.run} | ${rate(r.limit)} | ${r.n} | ${mb(r.sizeBytes)} | ${r.mode} | ${r.order === 1 ? '1st' : '2nd'} | ${r.applied}/${r.n} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.max)} | ${ratio} | ` +
        `${mb(r.relayBytes)} | ${(r.relayBytes / r.sizeBytes).toFixed(2)}× | ${mb(r.relayWireBytes)} | ${mb(r.peerBytes)} | ` +
        `${all > 0 ? ((100 * r.peerBytes) / all).toFixed(1) : '0.0'}% | ${links} | ${linkedIn} | ${(r.cpuMs / 1000).toFixed(2)} s | ${cpuRatio} | ${r.load.toFixed(1)} | ${verdict(rows, r)} |`,
    );
  }
}
