/**
 * `npm run bench -- swarm`: how a patch spreads when players carry the bytes.
 *
 * Part 1, real (`real.ts`): the relay in this process and N headless players (`patchcast play
 * --p2p`'s client, node-datachannel over loopback) in `--procs` child processes (`players.ts`; default 2,
 * one per core of the development machine), for N = 10, 30, 50 and a 1 MB texture, no egress limit.
 * Each swarm row has as its baseline, in the same run, the same N players fetching from the relay
 * alone; which of the two runs first alternates from one N to the next and from one run to the next
 * (with an even `--runs`, each order equally often for every N), and a summary per N gives the
 * median ratio over the runs and per order. Columns: publish → applied p50/p95/max across players, the swarm's max over the relay-only
 * run's, chunk bytes the relay sent and that as a multiple of the patch, bytes between peers,
 * offload = peer / all bytes, the CPU the run took (relay and players), the load average, and
 * whether the issue's target for the row is met.
 *
 * Then the same with the relay's blob egress limited (`--egress-limit`; `--egress`, default
 * 100 Mbit/s — the issue's figure — and 20 Mbit/s, a real uplink's) for N = 50 and 5 MB: the relay
 * is the bottleneck there, relay-only and swarm alike, and the swarm carries the bytes.
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
 * Options: --n 10,30,50  --size 1mb  --egress 100mbit,20mbit (none: skip)  --egress-n 50  --egress-size 5mb
 *          --procs 2  --runs 1  --sim 1000:1mb,10000:256kb  --liars 1000:1mb  --no-baseline  --no-real
 *          --links on-demand|eager (when swarm players dial: once the relay defers, the default, or
 *          at once)  --json FILE  (an empty --n, --sim or --liars skips that part)
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { parseRate } from '../../signaling/hub/egress.ts';
import { printReal, realRuns, type RealRow } from './real.ts';
import { printRealSummary } from './real-summary.ts';
import { printRealDetail } from './real-detail.ts';
import { simulate, type SimResult } from './simulate.ts';

function linksOf(text: string): 'on-demand' | 'eager' {
  if (text !== 'on-demand' && text !== 'eager') throw new Error(`--links ${text}: on-demand or eager`);
  return text;
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
    sizes: (get('size') ?? '1mb').split(',').filter(Boolean).map(sizeOf),
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
    egress: (get('egress') ?? '100mbit,20mbit').split(',').filter((e) => e && e !== 'none'),
    egressNs: (get('egress-n') ?? '50').split(',').filter(Boolean).map(Number),
    egressSizes: (get('egress-size') ?? '5mb').split(',').filter(Boolean).map(sizeOf),
    runs: Number(get('runs') ?? 1),
    procs: Number(get('procs') ?? 2),
    links: linksOf(get('links') ?? 'on-demand'),
    baseline: !argv.includes('--no-baseline'),
    real: !argv.includes('--no-real'),
    json: get('json'),
  };
}

/**
 * Re-runs a benchmark (`npm run bench -- <name>`, this one by default) in a fresh network namespace
 * with only `lo` up, when allowed; null when it runs here (already inside one, not Linux, not root).
 */
export function reexecIsolated(argv: readonly string[], name = 'swarm'): number | null {
  if (process.env['PATCHCAST_NETNS'] === '1' || process.platform !== 'linux') return null;
  const probe = spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) return null;
  const run = spawnSync(
    'unshare',
    [
      '-n',
      'sh',
      '-c',
      // Each peer connection holds sockets of its own, and a child process of players holds hundreds
      // of connections: more than the usual limit of open files.
      'ulimit -n "$(ulimit -Hn)" 2>/dev/null; ip link set lo up && exec "$@"',
      'sh',
      process.execPath,
      'bin/bench.mjs',
      name,
      ...argv,
    ],
    { stdio: 'inherit', env: { ...process.env, PATCHCAST_NETNS: '1' } },
  );
  return run.status ?? 1;
}

const mb = (b: number): string => `${(b / (1 << 20)).toFixed(2)} MB`;
const ms = (t: number): string =>
  Number.isFinite(t) ? (t >= 1000 ? `${(t / 1000).toFixed(2)} s` : `${Math.round(t)} ms`) : '—';

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
    const limits = args.egress.map((text) => {
      const limit = parseRate(text);
      if (limit === null) throw new Error(`--egress ${text}: not a rate`);
      return limit;
    });
    const options = { procs: args.procs, baseline: args.baseline, links: args.links };
    for (let run = 1; run <= args.runs; run++) {
      if (args.ns.length > 0) await realRuns(null, args.sizes, args.ns, options, run, realRows);
      for (const limit of limits) {
        await realRuns(limit, args.egressSizes, args.egressNs, options, run, realRows);
      }
    }
    printReal(realRows, args.procs, args.links);
    printRealSummary(realRows);
    printRealDetail(realRows);
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
