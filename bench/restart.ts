/**
 * `npm run bench -- restart`: how long players take to be back after a relay restart.
 *
 * N headless players (the Node adapter over framed TCP, in this process) follow a room; the relay
 * (in this process too) shuts down and, after `--down` ms, starts again on the same ports and data
 * dir; a small release is published as soon as it is up. Timed from the moment the relay listens
 * again: each player's reconnect (`welcome`), and each player holding the new release. Two rows per
 * N: the relay saying when to come back (`SERVER_SHUTDOWN` with `retryAfterMs`, what `patchcast
 * serve` does on SIGTERM), and as the baseline in the same run, a relay that just goes away (the
 * players' plain backoff).
 *
 * The relay's own start (`startServer` on the data dir, until it listens) is timed on its own and
 * is not part of the rows' times; neither is the CPU the whole process (relay and players) spent
 * between the relay being up and the last player caught up, printed beside them.
 *
 * Options: --n 200,1000  --down 3000  --hint 1000  --no-baseline  --json FILE
 *          --profile FILE  (a CPU profile of the first run, from the restart to the last caught up)
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { Session } from 'node:inspector/promises';
import { NodePlayer, tcpTransport } from '../player/node/index.ts';
import { configBytes } from '../protocol/index.ts';
import { startTestServer, TestRoom, until, type TestServer } from '../signaling/testing/helpers.ts';

interface Row {
  readonly n: number;
  readonly mode: 'restart hint' | 'no hint (baseline)';
  readonly downMs: number;
  /** The relay's start on its data dir, until it listens (not in the other times). */
  readonly startMs: number;
  /** CPU seconds of this process (relay and players) from up to the last player caught up. */
  readonly cpuS: number;
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
    baseline: !argv.includes('--no-baseline'),
    json: get('json'),
    profile: get('profile'),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function runOnce(n: number, downMs: number, hintMs: number | null, profile?: string): Promise<Row> {
  let server: TestServer = await startTestServer({ hub: { maxConnectionsPerIp: 20_000 } });
  const { dataDir, httpPort, tcpPort } = server;
  const room = await TestRoom.create(server.url, 'back');
  const accept = () => ({ status: 'applied' as const });
  let up = Infinity;
  const connect: number[] = [];
  const players: NodePlayer[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const player = new NodePlayer({
        room: 'back',
        publicKey: room.key.publicKey,
        server: server.url,
        connect: tcpTransport('127.0.0.1', tcpPort),
        clientId: `back-${i}`,
        handlers: { script: accept, texture: accept, config: accept },
        fps: 0,
      });
      player.client.on('connected', () => {
        if (Number.isFinite(up)) connect.push(performance.now() - up);
      });
      players.push(player);
    }
    await Promise.all(players.map((p) => p.start()));
    await Promise.all(players.map((p) => p.waitForSeq(1, 60_000)));
    // Built (and signed) before the restart: the publish itself is what is timed after it.
    const built = await room.build({
      slots: { theme: { kind: 'config', bytes: configBytes({ background: '#010203' }), version: '2' } },
    });
    await server.close(hintMs === null ? {} : { retryAfterMs: hintMs });
    await until(() => players.every((p) => p.client.status().mode === 'offline'), 10_000);
    await new Promise((r) => setTimeout(r, downMs));
    const session = profile ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const starting = performance.now();
    server = await startTestServer({ dataDir, httpPort, tcpPort, hub: { maxConnectionsPerIp: 20_000 } });
    up = performance.now();
    const startMs = up - starting;
    const cpuAtUp = process.cpuUsage();
    const published = await room.publish(built);
    if (published.status !== 201) throw new Error(`publish refused: ${JSON.stringify(published.body)}`);
    const publishMs = performance.now() - up;
    const caughtUp = await Promise.all(
      players.map((p) =>
        p.waitForSeq(2, 60_000).then(
          () => performance.now() - up,
          () => Infinity,
        ),
      ),
    );
    const cpu = process.cpuUsage(cpuAtUp);
    if (session && profile) {
      const { profile: taken } = await session.post('Profiler.stop');
      await writeFile(profile, JSON.stringify(taken));
      session.disconnect();
    }
    return {
      n,
      mode: hintMs === null ? 'no hint (baseline)' : 'restart hint',
      downMs,
      startMs,
      cpuS: (cpu.user + cpu.system) / 1e6,
      publishMs,
      back: connect.length,
      connect: connect.sort((a, b) => a - b),
      caughtUp: caughtUp.sort((a, b) => a - b),
    };
  } finally {
    for (const p of players) p.close();
    await server.dispose();
  }
}

const ms = (t: number): string =>
  Number.isFinite(t) ? (t >= 1000 ? `${(t / 1000).toFixed(2)} s` : `${Math.round(t)} ms`) : '—';

function print(rows: readonly Row[], load: readonly number[]): void {
  console.log(
    '\nRelay restart: timed from the relay listening again (Node players over TCP, in-process); ' +
      `load average ${load.map((l) => l.toFixed(1)).join(' / ')} (start / end)\n`,
  );
  console.log(
    '| N | relay | down | relay start (not counted) | back | reconnect first | p50 | p95 | last | publish answered | caught up p50 | p95 | last | CPU, up → last caught up |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.n} | ${r.mode} | ${ms(r.downMs)} | ${ms(r.startMs)} | ${r.back}/${r.n} | ${ms(r.connect[0] ?? NaN)} | ` +
        `${ms(percentile(r.connect, 50))} | ${ms(percentile(r.connect, 95))} | ${ms(r.connect.at(-1) ?? NaN)} | ${ms(r.publishMs)} | ` +
        `${ms(percentile(r.caughtUp, 50))} | ${ms(percentile(r.caughtUp, 95))} | ${ms(r.caughtUp.at(-1) ?? NaN)} | ` +
        `${r.cpuS.toFixed(2)} s |`,
    );
  }
}

/** Entry point for `bin/bench.mjs`. */
export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const loadStart = loadavg()[0]!;
  const rows: Row[] = [];
  for (const n of args.ns) {
    rows.push(await runOnce(n, args.downMs, args.hintMs, rows.length === 0 ? args.profile : undefined));
    if (args.baseline) rows.push(await runOnce(n, args.downMs, null));
    console.error(`done: N=${n}`);
  }
  print(rows, [loadStart, loadavg()[0]!]);
  if (args.json) await writeFile(args.json, JSON.stringify(rows, null, 2));
  return rows.every((r) => r.caughtUp.every(Number.isFinite)) ? 0 : 1;
}
