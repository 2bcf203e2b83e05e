/**
 * `npm run bench -- swarm`: how a patch spreads when players carry the bytes.
 *
 * Part 1, real: the relay (in this process) and N headless players (`patchcast play --p2p`'s client,
 * node-webrtc over loopback) for N = 10, 30, 50. A 1 MB and a 5 MB texture are published; each row is
 * one run with the swarm and, as the plain baseline in the same run, one with the same N players
 * fetching from the relay alone. Columns: publish → applied p50/p95/max across players, chunk bytes
 * the relay sent, that as a multiple of the patch, bytes between peers, offload = peer / all bytes,
 * and the swarm's "publish → all applied" (max) over the relay-only run's.
 *
 * Then the same with the relay's blob egress limited (`--egress-limit`, default 100 Mbit/s) for
 * N = 50 and 5 MB: the relay is the bottleneck there, and the swarm carries the bytes.
 *
 * Part 2, simulated: the same `Swarm` code on a virtual clock with in-memory links (latency 10–60 ms,
 * 2 MB/s uplink per player), 1,000 and 10,000 players, 10% of them leaving mid-transfer.
 *
 * Part 3, simulated under attack: N players of whom a third are liars (claim every chunk, answer
 * `peer.none`, stall, or send bad bytes, and keep dialling honest players), against the same honest
 * players alone: every honest player should apply within 2× the honest-only time.
 *
 * Runs itself inside a loopback-only network namespace when it can (root): WebRTC then has nothing
 * but `lo`, and `iceServers` is empty.
 *
 * Options: --n 10,30,50  --size 1mb,5mb  --egress 100mbit (none: skip)  --egress-n 50  --egress-size 5mb
 *          --runs 1  --sim 1000:1mb,10000:256kb  --liars 1000:1mb  --no-baseline  --no-real  --json FILE
 *          (an empty --sim or --liars skips that part)
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
// The real part's modules load only when it runs: the Node player pulls in the sandbox's WebAssembly,
// which tsx's loader can't import, and the simulated parts need none of it.
import type { NodePlayer } from '../../player/node/index.ts';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { parseRate } from '../../signaling/hub/egress.ts';
import type { TestRoom, TestServer } from '../../signaling/testing/helpers.ts';
import { simulate, type SimResult } from './simulate.ts';

interface RealRow {
  readonly run: number;
  /** The relay's egress limit (bytes/s), or null. */
  readonly limit: number | null;
  readonly n: number;
  readonly sizeBytes: number;
  readonly mode: 'relay only' | 'swarm';
  readonly applied: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly relayBytes: number;
  readonly relayWireBytes: number;
  readonly peerBytes: number;
}

const SIZES: Record<string, number> = { '256kb': 256 * 1024, '1mb': 1 << 20, '5mb': 5 << 20 };

function parseArgs(argv: readonly string[]) {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizeOf = (s: string): number => {
    const size = SIZES[s.toLowerCase()];
    if (size === undefined) throw new Error(`unknown size ${s} (use ${Object.keys(SIZES).join(', ')})`);
    return size;
  };
  return {
    ns: (get('n') ?? '10,30,50').split(',').filter(Boolean).map(Number),
    sizes: (get('size') ?? '1mb,5mb').split(',').filter(Boolean).map(sizeOf),
    sims: (get('sim') ?? '1000:1mb,10000:256kb')
      .split(',')
      .filter(Boolean)
      .map((spec) => {
        const [peers, size] = spec.split(':');
        return { peers: Number(peers), bytes: sizeOf(size ?? '1mb') };
      }),
    liars: (get('liars') ?? '1000:1mb')
      .split(',')
      .filter(Boolean)
      .map((spec) => {
        const [players, size] = spec.split(':');
        return { players: Number(players), bytes: sizeOf(size ?? '1mb') };
      }),
    egress: get('egress') ?? '100mbit',
    egressNs: (get('egress-n') ?? '50').split(',').filter(Boolean).map(Number),
    egressSizes: (get('egress-size') ?? '5mb').split(',').filter(Boolean).map(sizeOf),
    runs: Number(get('runs') ?? 1),
    baseline: !argv.includes('--no-baseline'),
    real: !argv.includes('--no-real'),
    json: get('json'),
  };
}

/** Re-runs this benchmark in a fresh network namespace with only `lo` up, when allowed. */
function reexecIsolated(argv: readonly string[]): number | null {
  if (process.env['PATCHCAST_NETNS'] === '1' || process.platform !== 'linux') return null;
  const probe = spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) return null;
  const run = spawnSync(
    'unshare',
    [
      '-n',
      'sh',
      '-c',
      'ip link set lo up && exec "$@"',
      'sh',
      process.execPath,
      'bin/bench.mjs',
      'swarm',
      ...argv,
    ],
    { stdio: 'inherit', env: { ...process.env, PATCHCAST_NETNS: '1' } },
  );
  return run.status ?? 1;
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

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function relayWireBytes(server: TestServer): Promise<number> {
  const metric = await server.metrics.bytesSent.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

/** One run: N players (swarm or not) follow the room; a texture is published; time every apply. */
async function runOnce(
  server: TestServer,
  room: TestRoom,
  n: number,
  sizeBytes: number,
  swarm: boolean,
  run: number,
): Promise<RealRow> {
  const { NodePlayer, tcpTransport } = await import('../../player/node/index.ts');
  const clients: NodePlayer[] = [];
  for (let i = 0; i < n; i++) {
    // Delivery is measured, not scripts: the players accept what verifies (no sandbox workers).
    const accept = () => ({ status: 'applied' as const });
    const client = new NodePlayer({
      room: room.room,
      publicKey: room.key.publicKey,
      server: server.url,
      connect: tcpTransport('127.0.0.1', server.tcpPort),
      clientId: `bench-${swarm ? 's' : 'r'}-${i}`,
      handlers: { script: accept, texture: accept, config: accept },
      ...(swarm ? { p2p: {} } : {}),
    });
    clients.push(client);
  }
  const traffic = (c: NodePlayer) => c.client.status();
  try {
    const current = room.latest?.release.seq ?? 0;
    await Promise.all(clients.map((c) => c.start()));
    await Promise.all(clients.map((c) => c.waitForSeq(current, 60_000)));
    if (swarm) await until(() => clients.every((c) => traffic(c).peers >= Math.min(3, n - 1)), 20_000);
    const before = clients.map(traffic);
    const wireBefore = await relayWireBytes(server);
    const texture = await randomPng(sizeBytes);
    const built = await room.build({
      slots: { background: { kind: 'texture', mime: 'image/png', bytes: texture, version: `${Date.now()}` } },
    });
    const seq = built.signed.release.seq;
    const started = performance.now();
    const published = await room.publish(built);
    if (published.status !== 201) throw new Error(`publish refused: ${JSON.stringify(published.body)}`);
    const times = await Promise.all(
      clients.map((c) =>
        c.waitForSeq(seq, 120_000).then(
          () => performance.now() - started,
          () => Infinity,
        ),
      ),
    );
    const after = clients.map(traffic);
    const done = times.filter(Number.isFinite).sort((a, b) => a - b);
    return {
      run,
      limit: server.hub.options.egressBytesPerSecond,
      n,
      sizeBytes: texture.length,
      mode: swarm ? 'swarm' : 'relay only',
      applied: done.length,
      p50: percentile(done, 50),
      p95: percentile(done, 95),
      max: done.at(-1) ?? NaN,
      relayBytes: after.reduce((s, t, i) => s + t.bytesFromRelay - before[i]!.bytesFromRelay, 0),
      relayWireBytes: (await relayWireBytes(server)) - wireBefore,
      peerBytes: after.reduce((s, t, i) => s + t.bytesFromPeers - before[i]!.bytesFromPeers, 0),
    };
  } finally {
    for (const c of clients) c.close();
    await new Promise((r) => setTimeout(r, 300));
  }
}

const mb = (b: number): string => `${(b / (1 << 20)).toFixed(2)} MB`;
const ms = (t: number): string =>
  Number.isFinite(t) ? (t >= 1000 ? `${(t / 1000).toFixed(2)} s` : `${Math.round(t)} ms`) : '—';

const rate = (limit: number | null): string =>
  limit === null ? 'none' : `${Math.round((limit * 8) / 1e6)} Mbit/s`;

function printReal(rows: readonly RealRow[]): void {
  console.log('\nReal WebRTC (node-webrtc on loopback), relay in-process; one run per row\n');
  console.log(
    '| run | relay limit | N | patch | mode | applied | p50 | p95 | max | ÷ relay only (max) | relay sent (chunks) | ÷ patch | relay wire bytes | peer bytes | offload |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const all = r.relayBytes + r.peerBytes;
    const base = rows.find(
      (b) =>
        b.mode === 'relay only' &&
        b.run === r.run &&
        b.limit === r.limit &&
        b.n === r.n &&
        Math.abs(b.sizeBytes - r.sizeBytes) < 1 << 16,
    );
    const ratio = r.mode === 'swarm' && base ? `${(r.max / base.max).toFixed(2)}×` : '';
    console.log(
      `| ${r.run} | ${rate(r.limit)} | ${r.n} | ${mb(r.sizeBytes)} | ${r.mode} | ${r.applied}/${r.n} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.max)} | ${ratio} | ` +
        `${mb(r.relayBytes)} | ${(r.relayBytes / r.sizeBytes).toFixed(2)}× | ${mb(r.relayWireBytes)} | ${mb(r.peerBytes)} | ` +
        `${all > 0 ? ((100 * r.peerBytes) / all).toFixed(1) : '0.0'}% |`,
    );
  }
}

/** Every size × N, relay-only then swarm, against one relay with the given egress limit. */
async function realRuns(
  limit: number | null,
  sizes: readonly number[],
  ns: readonly number[],
  baseline: boolean,
  run: number,
  rows: RealRow[],
): Promise<void> {
  const { startTestServer, TestRoom } = await import('../../signaling/testing/helpers.ts');
  const server = await startTestServer({ hub: { egressBytesPerSecond: limit } });
  try {
    // A fresh room per run: its players join holding nothing but a small first release, so no run
    // starts by catching up the previous run's patch.
    let rooms = 0;
    const fresh = () => TestRoom.create(server.url, `bench-${++rooms}`);
    for (const size of sizes) {
      for (const n of ns) {
        if (baseline) rows.push(await runOnce(server, await fresh(), n, size, false, run));
        rows.push(await runOnce(server, await fresh(), n, size, true, run));
        console.error(`done: run ${run}, limit ${rate(limit)}, N=${n} ${mb(size)}`);
      }
    }
  } finally {
    await server.dispose();
  }
}

function printSim(rows: readonly (SimResult & { bytes: number })[]): void {
  console.log(
    '\nSimulated (same Swarm code, virtual clock, 10–60 ms links, 2 MB/s uplinks, 10% leave mid-transfer)\n',
  );
  console.log(
    '| players | patch | stayed → applied | p50 | p95 | max | rounds (hops) | relay sent | ÷ patch | offload | events | wall |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.peers} | ${mb(r.bytes)} | ${r.stayed} → ${r.completed} | ${ms(r.p50Ms)} | ${ms(r.p95Ms)} | ${ms(r.maxMs)} | ${r.rounds} | ` +
        `${mb(r.relayBytes)} | ${(r.relayBytes / r.bytes).toFixed(2)}× | ${(100 * r.offload).toFixed(1)}% | ${r.events} | ${ms(r.wallMs)} |`,
    );
  }
}

interface LiarRow {
  readonly players: number;
  readonly bytes: number;
  readonly honest: SimResult;
  readonly attacked: SimResult;
}

/** Honest-only vs a third lying, same honest players, same seed. */
async function runLiars(players: number, bytes: number): Promise<LiarRow> {
  const liars = Math.floor(players / 3);
  const base = { peers: players - liars, blobBytes: bytes, leaveFraction: 0, seed: 12 };
  const honest = await simulate(base);
  const attacked = await simulate({ ...base, liars, limitMs: 20 * honest.maxMs });
  return { players, bytes, honest, attacked };
}

function printLiars(rows: readonly LiarRow[]): void {
  console.log(
    '\nSimulated with liars (a third of the players claim every chunk and answer none / stall / bad bytes, ' +
      'and keep dialling; no one leaves)\n',
  );
  console.log(
    '| players | patch | run | honest applied | p50 | p95 | max | max ÷ honest-only | relay sent | links dropped | liar requests | starved signals | wall |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const { players, bytes, honest, attacked } of rows) {
    for (const [run, r] of [
      ['honest only', honest],
      [`${attacked.liars} liars`, attacked],
    ] as const) {
      console.log(
        `| ${players - attacked.liars + r.liars} | ${mb(bytes)} | ${run} | ${r.completed}/${r.stayed} | ${ms(r.p50Ms)} | ${ms(r.p95Ms)} | ` +
          `${ms(r.maxMs)} | ${(r.maxMs / honest.maxMs).toFixed(2)}× | ${mb(r.relayBytes)} | ${r.peersDropped} | ${r.liarRequests} | ` +
          `${r.starvedSignals} | ${ms(r.wallMs)} |`,
      );
    }
  }
}

/** Entry point for `bin/bench.mjs`. */
export async function main(argv: readonly string[]): Promise<number> {
  const isolated = reexecIsolated(argv);
  if (isolated !== null) return isolated;
  const args = parseArgs(argv);
  const realRows: RealRow[] = [];
  if (args.real) {
    const limit = args.egress === 'none' ? null : parseRate(args.egress);
    if (args.egress !== 'none' && limit === null) throw new Error(`--egress ${args.egress}: not a rate`);
    for (let run = 1; run <= args.runs; run++) {
      await realRuns(null, args.sizes, args.ns, args.baseline, run, realRows);
      if (limit !== null)
        await realRuns(limit, args.egressSizes, args.egressNs, args.baseline, run, realRows);
    }
    printReal(realRows);
  }
  const simRows: (SimResult & { bytes: number })[] = [];
  for (const sim of args.sims) {
    simRows.push({ ...(await simulate({ peers: sim.peers, blobBytes: sim.bytes })), bytes: sim.bytes });
    console.error(`done: simulation of ${sim.peers}`);
  }
  if (simRows.length > 0) printSim(simRows);
  const liarRows: LiarRow[] = [];
  for (const spec of args.liars) {
    liarRows.push(await runLiars(spec.players, spec.bytes));
    console.error(`done: ${spec.players} players, a third lying`);
  }
  if (liarRows.length > 0) printLiars(liarRows);
  if (args.json) {
    await writeFile(args.json, JSON.stringify({ real: realRows, sim: simRows, liars: liarRows }, null, 2));
  }
  const liarsOk = liarRows.every(
    (r) => r.attacked.completed === r.attacked.stayed && r.attacked.maxMs <= 2 * r.honest.maxMs,
  );
  return realRows.every((r) => r.applied === r.n) && simRows.every((r) => r.completed === r.stayed) && liarsOk
    ? 0
    : 1;
}
