/**
 * `npm run bench -- restart`: how long players take to be back after a relay restart.
 *
 * N headless players (the Node adapter over framed TCP) follow a room from processes of their own
 * (`restart-players.ts`, `--procs` of them), as players on other machines would; the relay, in this
 * process, shuts down and, after `--down` ms, starts again on the same ports and data dir; a small
 * release is published as soon as it is up. Timed from the moment the relay listens
 * again: each player's reconnect (`welcome`), and each player holding the new release. Two rows per
 * N: the relay saying when to come back (`SERVER_SHUTDOWN` with `retryAfterMs`, what `patchcast
 * serve` does on SIGTERM), and as the baseline in the same run, a relay that just goes away (the
 * players' plain backoff).
 *
 * The relay's own start (`startServer` on the data dir, until it listens) is timed on its own and
 * is not part of the rows' times. Beside them: the CPU time the relay's process spent between being
 * up and the last player caught up, the players' processes' CPU time meanwhile, and the refusals the
 * relay counted (none expected: the per-address limits are raised, every player being 127.0.0.1).
 *
 * Options: --n 200,1000  --down 3000  --hint 1000  --procs 2  --no-baseline  --json FILE
 *          --profile FILE  (a CPU profile of the relay's process in the first run, from the restart
 *          to the last caught up; and of each players' process, in FILE.players-0, -1, …)
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import * as v from 'valibot';
import { configBytes } from '../protocol/index.ts';
import { startTestServer, TestRoom, type TestServer } from '../signaling/testing/helpers.ts';
import type { ServerOptions } from '../signaling/server.ts';
import { BenchChild } from './bench-child.ts';

const ReplySchema = v.variant('type', [
  v.object({ type: v.literal('up') }),
  v.object({ type: v.literal('ready') }),
  v.object({ type: v.literal('offline') }),
  v.object({
    type: v.literal('done'),
    connect: v.array(v.number()),
    caughtUp: v.array(v.nullable(v.number())),
    cpuMs: v.number(),
    lagMeanMs: v.number(),
    lagMaxMs: v.number(),
  }),
]);
type Reply = v.InferOutput<typeof ReplySchema>;

/** One process of players (`restart-players.ts`). */
class Players extends BenchChild<Reply> {
  constructor() {
    super(fileURLToPath(new URL('./restart-players.ts', import.meta.url)), ReplySchema);
  }
}

interface Row {
  readonly n: number;
  readonly mode: 'restart hint' | 'no hint (baseline)';
  readonly downMs: number;
  /** The relay's start on its data dir, until it listens (not in the other times). */
  readonly startMs: number;
  /** CPU seconds of the relay's process from up to the last player caught up. */
  readonly relayCpuS: number;
  /** CPU seconds of the players' processes meanwhile (all together). */
  readonly playersCpuS: number;
  /** The players' processes' event-loop delay meanwhile (mean of the means, max of the maxima). */
  readonly playersLagMs: { readonly mean: number; readonly max: number };
  /** Refusals the relay counted (`patchcast_refusals_total`) after its restart. */
  readonly refusals: number;
  /** Up → the publish answered. */
  readonly publishMs: number;
  readonly back: number;
  readonly connect: readonly number[];
  readonly caughtUp: readonly number[];
}

function parseArgs(argv: readonly string[]) {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    ns: (get('n') ?? '200,1000').split(',').filter(Boolean).map(Number),
    downMs: Number(get('down') ?? 3000),
    hintMs: Number(get('hint') ?? 1000),
    procs: Math.max(1, Number(get('procs') ?? 2)),
    baseline: !argv.includes('--no-baseline'),
    json: get('json'),
    profile: get('profile'),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * The relay as the benchmark runs it. Every player comes from 127.0.0.1: the per-address caps and
 * connect rate are raised so that they refuse nothing a thousand players spread over many addresses
 * would meet (the refusals column shows that none happened).
 */
const relayOptions = (n: number): Partial<ServerOptions> => ({
  hub: { maxConnectionsPerIp: 20_000 },
  addressLimits: { connects: { perSecond: Math.max(500, n), burst: Math.max(5_000, 2 * n) } },
});

async function refusalsOf(server: TestServer): Promise<number> {
  const { values } = await server.metrics.refusals.get();
  return values.reduce((sum, value) => sum + value.value, 0);
}

async function runOnce(
  n: number,
  procs: number,
  downMs: number,
  hintMs: number | null,
  profile?: string,
): Promise<Row> {
  let server: TestServer = await startTestServer(relayOptions(n));
  const { dataDir, httpPort, tcpPort } = server;
  const room = await TestRoom.create(server.url, 'back');
  const children = Array.from({ length: Math.min(procs, n) }, () => new Players());
  try {
    await Promise.all(children.map((c) => c.ask(null, 'up')));
    const share = Math.ceil(n / children.length);
    await Promise.all(
      children.map((c, k) =>
        c.ask(
          {
            cmd: 'start',
            server: server.url,
            tcpPort,
            room: 'back',
            publicKey: room.key.publicKey,
            from: k * share,
            count: Math.max(0, Math.min(share, n - k * share)),
            seq: 1,
          },
          'ready',
        ),
      ),
    );
    // Built (and signed) before the restart: the publish itself is what is timed after it.
    const built = await room.build({
      slots: { theme: { kind: 'config', bytes: configBytes({ background: '#010203' }), version: '2' } },
    });
    const offline = Promise.all(children.map((c) => c.ask({ cmd: 'arm' }, 'offline')));
    await server.close(hintMs === null ? {} : { retryAfterMs: hintMs });
    await offline;
    await new Promise((r) => setTimeout(r, downMs));
    const session = profile ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const starting = now();
    server = await startTestServer({ dataDir, httpPort, tcpPort, ...relayOptions(n) });
    const up = now();
    const startMs = up - starting;
    const cpuAtUp = process.cpuUsage();
    let relayCpu = { user: 0, system: 0 };
    const results = Promise.all(
      children.map((c, k) =>
        c
          .ask(
            {
              cmd: 'watch',
              seq: 2,
              timeoutMs: 60_000,
              ...(profile ? { profile: `${profile}.players-${k}` } : {}),
            },
            'done',
          )
          .then((done) => {
            relayCpu = process.cpuUsage(cpuAtUp); // the last one to answer counts
            return done;
          }),
      ),
    );
    const published = await room.publish(built);
    if (published.status !== 201) throw new Error(`publish refused: ${JSON.stringify(published.body)}`);
    const publishMs = now() - up;
    const done = await results;
    if (session && profile) {
      const { profile: taken } = await session.post('Profiler.stop');
      await writeFile(profile, JSON.stringify(taken));
      session.disconnect();
    }
    const connect = done.flatMap((d) => d.connect.map((t) => t - up));
    const caughtUp = done.flatMap((d) => d.caughtUp.map((t) => (t === null ? Infinity : t - up)));
    return {
      n,
      mode: hintMs === null ? 'no hint (baseline)' : 'restart hint',
      downMs,
      startMs,
      relayCpuS: (relayCpu.user + relayCpu.system) / 1e6,
      playersCpuS: done.reduce((sum, d) => sum + d.cpuMs, 0) / 1000,
      playersLagMs: {
        mean: done.reduce((sum, d) => sum + d.lagMeanMs, 0) / done.length,
        max: Math.max(...done.map((d) => d.lagMaxMs)),
      },
      refusals: await refusalsOf(server),
      publishMs,
      back: connect.length,
      connect: connect.sort((a, b) => a - b),
      caughtUp: caughtUp.sort((a, b) => a - b),
    };
  } finally {
    await Promise.all(children.map((c) => c.exit()));
    await server.dispose();
  }
}

const ms = (t: number): string =>
  Number.isFinite(t) ? (t >= 1000 ? `${(t / 1000).toFixed(2)} s` : `${Math.round(t)} ms`) : '—';

function print(rows: readonly Row[], load: readonly number[], procs: number): void {
  console.log(
    `\nRelay restart: timed from the relay listening again (Node players over TCP, in ${procs} ` +
      `process${procs === 1 ? '' : 'es'} of their own); load average ` +
      `${load.map((l) => l.toFixed(1)).join(' / ')} (start / end)\n`,
  );
  console.log(
    "| N | relay | down | relay start (not counted) | back | reconnect first | p50 | p95 | last | publish answered | caught up p50 | p95 | last | relay CPU, up → last caught up | players' CPU | players' loop delay, mean / max | refusals |",
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.n} | ${r.mode} | ${ms(r.downMs)} | ${ms(r.startMs)} | ${r.back}/${r.n} | ${ms(r.connect[0] ?? NaN)} | ` +
        `${ms(percentile(r.connect, 50))} | ${ms(percentile(r.connect, 95))} | ${ms(r.connect.at(-1) ?? NaN)} | ${ms(r.publishMs)} | ` +
        `${ms(percentile(r.caughtUp, 50))} | ${ms(percentile(r.caughtUp, 95))} | ${ms(r.caughtUp.at(-1) ?? NaN)} | ` +
        `${r.relayCpuS.toFixed(2)} s | ${r.playersCpuS.toFixed(2)} s | ` +
        `${ms(r.playersLagMs.mean)} / ${ms(r.playersLagMs.max)} | ${r.refusals} |`,
    );
  }
}

/** Entry point for `bin/bench.mjs`. */
export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const loadStart = loadavg()[0]!;
  const rows: Row[] = [];
  for (const n of args.ns) {
    const profile = rows.length === 0 ? args.profile : undefined;
    rows.push(await runOnce(n, args.procs, args.downMs, args.hintMs, profile));
    if (args.baseline) rows.push(await runOnce(n, args.procs, args.downMs, null));
    console.error(`done: N=${n}`);
  }
  print(rows, [loadStart, loadavg()[0]!], args.procs);
  if (args.json) await writeFile(args.json, JSON.stringify(rows, null, 2));
  return rows.every((r) => r.caughtUp.every(Number.isFinite)) ? 0 : 1;
}
