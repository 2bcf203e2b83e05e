/**
 * `npm run bench -- fanout --density`: one relay process holding N connected players (default
 * 10,000: half WebSocket, half framed TCP, all heartbeating) — its resident memory, and how long a
 * script patch takes to reach every one of them — beside, in the same run, the relay's memory before
 * the first connection and a bare `net` server writing the same bytes to N sockets.
 *
 * The players run in a child process on raw sockets (`density-clients.ts`), so the relay process
 * holds nothing but the relay. They heartbeat every `--heartbeat` ms (default 10,000, the protocol's
 * rate) and stay connected `--hold` ms (default 12,000: past one heartbeat round) before the patch.
 *
 * Options: --players N --heartbeat MS --hold MS (how long they stay connected before the patch)
 *          --rounds R --timeout MS
 */
import { execSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import { encodeChunkFrame, generateSigningKey, MessageType, encodeFrame } from '../protocol/index.ts';
import { buildRelease } from '../publisher/build.ts';
import { RelayApi } from '../publisher/relay-api.ts';
import { startServer } from '../signaling/server.ts';
import { pythonOf, scriptOf } from './fanout-payloads.ts';
import { BareProcess, Readers, now, runBaseline } from './fanout-runs.ts';
import { BenchChild } from './bench-child.ts';

const ReplySchema = v.variant('type', [
  v.object({ type: v.literal('up') }),
  v.object({ type: v.literal('connected'), ready: v.number(), failed: v.number(), ms: v.number() }),
  v.object({
    type: v.literal('results'),
    done: v.array(v.number()),
    released: v.array(v.number()),
    n: v.number(),
    open: v.number(),
    heartbeats: v.number(),
    cpuMs: v.number(),
  }),
]);
type Reply = v.InferOutput<typeof ReplySchema>;

class Clients extends BenchChild<Reply> {
  constructor() {
    super(fileURLToPath(new URL('./density-clients.ts', import.meta.url)), ReplySchema);
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const f = (ms: number | null) =>
  ms === null ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;

interface DensityRow {
  readonly round: number;
  readonly players: number;
  readonly connected: number;
  readonly connectMs: number;
  readonly rssIdle: number;
  readonly rssHeld: number;
  readonly rssAfter: number;
  readonly heartbeats: number;
  readonly stillOpen: number;
  readonly acceptMs: number;
  readonly allMs: number | null;
  readonly delivered: number;
  /** CPU time of the relay's process from the publish request to the patch at the last player. */
  readonly relayCpuMs: number;
  /** CPU time of the players' process meanwhile. */
  readonly clientsCpuMs: number;
  /** Players the relay pushed the script to with the release (hello `pushBlobs`); the rest asked. */
  readonly pushed: number;
  readonly bareMs: number | null;
  /** CPU time of the bare server, and of its readers, writing the same bytes to N sockets. */
  readonly bareCpuMs: number | null;
  readonly bareReadersCpuMs: number | null;
}

async function relayRound(
  round: number,
  players: number,
  heartbeatMs: number,
  holdMs: number,
  timeoutMs: number,
): Promise<Omit<DensityRow, 'bareMs' | 'bareCpuMs' | 'bareReadersCpuMs'>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'patchcast-density-'));
  const server = await startServer({
    httpPort: 0,
    tcpPort: 0,
    dataDir,
    staticDir: null,
    log: () => {},
    hub: { heartbeatMs, maxConnections: players + 1000, maxConnectionsPerIp: players + 1000 },
    // Every simulated player comes from 127.0.0.1: the per-address connect rate (500/s, burst 5,000
    // by default) would refuse what real players spread over many addresses never meet.
    addressLimits: { connects: { perSecond: players, burst: players + 1000 } },
  });
  const clients = new Clients();
  try {
    await clients.ask(null, 'up');
    const key = await generateSigningKey();
    const first = await buildRelease({
      room: 'dense',
      key,
      previous: null,
      version: '1',
      slots: {
        logic: { kind: 'script', lang: 'js', bytes: scriptOf(4000, 'v1'), version: '1' },
        seed: { kind: 'script', lang: 'python', bytes: pythonOf(400, 'v1'), version: '1' },
      },
    });
    const res = await server.relay.publish({
      room: 'dense',
      candidate: first.signed,
      blobs: first.blobs,
      publicKey: key.publicKey,
      mayCreate: true,
    });
    if (!res.ok) throw new Error(`setup publish refused: ${res.code}`);
    const rssIdle = process.memoryUsage().rss;
    const connected = await clients.ask(
      {
        cmd: 'connect',
        host: server.host,
        httpPort: server.httpPort,
        tcpPort: server.tcpPort,
        ws: Math.ceil(players / 2),
        tcp: Math.floor(players / 2),
        room: 'dense',
        seq: 1,
        held: Object.values(first.signed.release.slots).map((s) => s.sha256),
        batch: 500,
        heartbeatMs,
      },
      'connected',
    );
    // Held through a few heartbeat intervals: the highest RSS seen is the figure.
    let rssHeld = process.memoryUsage().rss;
    const until = now() + holdMs;
    while (now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      rssHeld = Math.max(rssHeld, process.memoryUsage().rss);
    }
    const next = await buildRelease({
      room: 'dense',
      key,
      previous: first.signed.release,
      version: '2',
      slots: { logic: { kind: 'script', lang: 'js', bytes: scriptOf(4000, 'v2'), version: '2' } },
    });
    let accepted = 0;
    const off = server.relay.onRelease(() => (accepted = now()));
    clients.tell({ cmd: 'mark' });
    const pushedBefore = server.hub.blobStats().pushedBlobs;
    const cpu = process.cpuUsage();
    const started = now();
    await new RelayApi(server.url).publish(next.signed, next.blobs);
    off();
    const results = await clients.ask({ cmd: 'collect', timeoutMs }, 'results');
    const relayCpu = process.cpuUsage(cpu);
    const pushed = server.hub.blobStats().pushedBlobs - pushedBefore;
    const last = results.done.length > 0 ? Math.max(...results.done) : null;
    const sorted = [...results.done].sort((a, b) => a - b);
    const rel = results.released;
    process.stderr.write(
      `  accepted +${f(accepted - started)}; release at first/p50/last +${f(rel[0]! - started)}/${f(rel[rel.length >> 1]! - started)}/${f(rel.at(-1)! - started)}; chunk first/p50/last +${f(sorted[0]! - started)}/${f(sorted[sorted.length >> 1]! - started)}/${f(sorted.at(-1)! - started)}\n`,
    );
    return {
      round,
      players,
      connected: connected.ready,
      connectMs: connected.ms,
      rssIdle,
      rssHeld,
      rssAfter: process.memoryUsage().rss,
      heartbeats: results.heartbeats,
      stillOpen: results.open,
      acceptMs: accepted - started,
      allMs: last === null ? null : last - started,
      delivered: results.done.length,
      relayCpuMs: (relayCpu.user + relayCpu.system) / 1000,
      clientsCpuMs: results.cpuMs,
      pushed,
    };
  } finally {
    await clients.exit();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The bytes each player got for the patch: the release message and the script's one chunk. */
function patchBytes(): Uint8Array {
  const script = scriptOf(4000, 'v2');
  const release = encodeFrame({ type: MessageType.release, signed: { pad: 'x'.repeat(1800) } });
  const chunk = encodeChunkFrame('00'.repeat(32), 0, script);
  const out = new Uint8Array(release.length + chunk.length);
  out.set(release);
  out.set(chunk, release.length);
  return out;
}

/** Runs the density benchmark; returns the exit code. */
export async function density(argv: readonly string[]): Promise<number> {
  const num = (name: string, fallback: number) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? Number(argv[at + 1]) : fallback;
  };
  const players = num('players', 10_000);
  const heartbeatMs = num('heartbeat', 10_000);
  const holdMs = num('hold', 12_000);
  const rounds = Math.max(1, num('rounds', 3));
  const timeoutMs = num('timeout', 30_000);
  const limit = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim());
  if (Number.isFinite(limit) && limit < players + 1000) {
    process.stderr.write(
      `density: the open-file limit (ulimit -n = ${limit}) is too low for ${players} players; raise it to ${players + 1000} or more\n`,
    );
    return 2;
  }
  const rows: DensityRow[] = [];
  const readers = new Readers();
  const bareProcess = new BareProcess();
  await Promise.all([readers.ask({}, 'up'), bareProcess.ask({}, 'up')]);
  try {
    for (let round = 1; round <= rounds; round++) {
      const relay = await relayRound(round, players, heartbeatMs, holdMs, timeoutMs);
      const bare = await runBaseline(
        readers,
        bareProcess,
        { proto: 'ours', n: players, payload: 'script', round, mode: { kind: 'all' }, timeoutMs },
        patchBytes(),
      );
      const ok = bare.delivered === players;
      const row = {
        ...relay,
        bareMs: ok ? bare.max : null,
        bareCpuMs: ok ? bare.serverCpuMs : null,
        bareReadersCpuMs: ok ? bare.readerCpuMs : null,
      };
      rows.push(row);
      process.stderr.write(
        `#${round} ${row.connected}/${players} connected in ${f(row.connectMs)}; RSS idle ${mb(row.rssIdle)}, held ${mb(row.rssHeld)}; patch to all ${f(row.allMs)} (${row.delivered}/${players}), cpu relay ${f(row.relayCpuMs)} players ${f(row.clientsCpuMs)}, script pushed to ${row.pushed}; bare ${f(row.bareMs)}, cpu server ${f(row.bareCpuMs)} readers ${f(row.bareReadersCpuMs)}\n`,
      );
    }
  } finally {
    await Promise.all([readers.exit(), bareProcess.exit()]);
  }
  const out = [
    '| round | players (ws + tcp) | connected | still open after | relay RSS before any connection | relay RSS, all connected and heartbeating (peak) | accept | publish → patch at all | delivered | script pushed (rest asked) | bare `net`: same bytes to N sockets | patch ÷ bare | CPU: relay / players | CPU: bare server / readers | relay CPU ÷ bare server CPU |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.round} | ${r.players} | ${r.connected} in ${f(r.connectMs)} | ${r.stillOpen} | ${mb(r.rssIdle)} | ${mb(r.rssHeld)} | ${f(r.acceptMs)} | ${f(r.allMs)} | ${r.delivered}/${r.players} | ${r.pushed}/${r.players} | ${f(r.bareMs)} | ${r.allMs !== null && r.bareMs ? `${(r.allMs / r.bareMs).toFixed(2)}×` : ''} | ${f(r.relayCpuMs)} / ${f(r.clientsCpuMs)} | ${f(r.bareCpuMs)} / ${f(r.bareReadersCpuMs)} | ${r.bareCpuMs ? `${(r.relayCpuMs / r.bareCpuMs).toFixed(2)}×` : ''} |`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return rows.every((r) => r.delivered === r.players && r.stillOpen === r.players) ? 0 : 1;
}
