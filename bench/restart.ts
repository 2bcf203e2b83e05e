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
 * Options: --n 200,1000  --down 3000  --hint 1000  --no-baseline  --json FILE
 */
import { writeFile } from 'node:fs/promises';
import { NodePlayer, tcpTransport } from '../player/node/index.ts';
import { configBytes } from '../protocol/index.ts';
import { startTestServer, TestRoom, until, type TestServer } from '../signaling/testing/helpers.ts';

interface Row {
  readonly n: number;
  readonly mode: 'restart hint' | 'no hint (baseline)';
  readonly downMs: number;
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
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function runOnce(n: number, downMs: number, hintMs: number | null): Promise<Row> {
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
    server = await startTestServer({ dataDir, httpPort, tcpPort, hub: { maxConnectionsPerIp: 20_000 } });
    up = performance.now();
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
    return {
      n,
      mode: hintMs === null ? 'no hint (baseline)' : 'restart hint',
      downMs,
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

function print(rows: readonly Row[]): void {
  console.log('\nRelay restart: timed from the relay listening again (Node players over TCP, in-process)\n');
  console.log(
    '| N | relay | down | back | reconnect first | p50 | p95 | last | publish answered | caught up p50 | p95 | last |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.n} | ${r.mode} | ${ms(r.downMs)} | ${r.back}/${r.n} | ${ms(r.connect[0] ?? NaN)} | ` +
        `${ms(percentile(r.connect, 50))} | ${ms(percentile(r.connect, 95))} | ${ms(r.connect.at(-1) ?? NaN)} | ${ms(r.publishMs)} | ` +
        `${ms(percentile(r.caughtUp, 50))} | ${ms(percentile(r.caughtUp, 95))} | ${ms(r.caughtUp.at(-1) ?? NaN)} |`,
    );
  }
}

/** Entry point for `bin/bench.mjs`. */
export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const rows: Row[] = [];
  for (const n of args.ns) {
    rows.push(await runOnce(n, args.downMs, args.hintMs));
    if (args.baseline) rows.push(await runOnce(n, args.downMs, null));
    console.error(`done: N=${n}`);
  }
  print(rows);
  if (args.json) await writeFile(args.json, JSON.stringify(rows, null, 2));
  return rows.every((r) => r.caughtUp.every(Number.isFinite)) ? 0 : 1;
}
