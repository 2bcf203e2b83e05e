/**
 * `npm run bench -- cli`: the `patchcast` command as a CI pipeline runs it — whole processes, each
 * started as a user starts it (`node bin/patchcast.mjs …`), against a relay running as its own
 * process (`patchcast serve`, the demo room on a fresh data dir).
 *
 * Rows, run in turn round after round (so each sees the same machine), with a fresh small script for
 * every publish (a publish that changes nothing is refused):
 * - `node -e 0`: Node's own start, the floor under every row;
 * - `publish --force`: a small script, without the dry run;
 * - `publish`: the same with its default dry run (the script checked in the player's sandbox);
 * - `publish --dry-run`: the check alone, nothing published.
 * Wall time is spawn → exit, measured here; CPU time (every thread, the sandbox's worker too) and
 * peak memory are the process's own, written at its exit by a preloaded module
 * (`bench/cpu-at-exit.mjs`). On a shared machine the CPU column is the steady one: the load average
 * before and after the runs is printed beside the table.
 *
 * Options: --runs 10 (per row)  --history 0 (releases published before the timed runs: the
 *          publisher reads the room's history, up to 200 releases on a default relay)  --json FILE
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServe } from '../signaling/testing/serve-process.ts';

const BIN = fileURLToPath(new URL('../bin/patchcast.mjs', import.meta.url));
const PRELOAD = new URL('./cpu-at-exit.mjs', import.meta.url).href;

interface Run {
  readonly wallS: number;
  readonly cpuS: number;
  readonly rssMiB: number;
  readonly code: number | null;
}

interface Row {
  readonly name: string;
  readonly runs: Run[];
}

function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** Runs `node [preload] args…` once; wall time from spawn to exit, CPU from the process itself. */
async function timed(args: readonly string[], cpuFile: string): Promise<Run> {
  await rm(cpuFile, { force: true });
  const started = performance.now();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PATCHCAST_BENCH_CPU_FILE: cpuFile },
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (c) => {
      if (c !== 0) process.stderr.write(`exit ${c}: ${args.slice(0, 3).join(' ')}\n${err}`);
      resolve(c);
    });
  });
  const wallS = (performance.now() - started) / 1000;
  const used = JSON.parse(await readFile(cpuFile, 'utf8')) as {
    user: number;
    system: number;
    maxRssKiB: number;
  };
  return { wallS, cpuS: (used.user + used.system) / 1e6, rssMiB: used.maxRssKiB / 1024, code };
}

function stats(values: readonly number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN, min: sorted[0]!, max: sorted.at(-1)! };
}

const fmt = (s: { median: number; min: number; max: number }, d = 2) =>
  `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');

/** Runs the benchmark; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const runs = Number(option(argv, 'runs') ?? 10);
  const history = Number(option(argv, 'history') ?? 0);
  const jsonOut = option(argv, 'json');
  const dir = await mkdtemp(join(tmpdir(), 'patchcast-bench-cli-'));
  const relay = await spawnServe({ dataDir: join(dir, 'data'), demo: true });
  try {
    const key = join(dir, 'data', 'keys', 'demo.key.json');
    const cpuFile = join(dir, 'cpu.json');
    let n = 0;
    const publish = async (...flags: string[]) => {
      const script = join(dir, `small-${++n}.js`);
      await writeFile(
        script,
        `// run ${n}\nexport function update(ball, world, dt) {\n  return { ...ball, x: ball.x + ball.vx * dt, y: ball.y + ball.vy * dt };\n}\n`,
      );
      return timed(
        [BIN, 'publish', '--server', relay.url, '--room', 'demo', '--key', key, '--script', script, ...flags],
        cpuFile,
      );
    };
    // The compiled CLI is built (if a source changed) by the first run, not a timed one.
    await publish('--force');
    for (let i = 0; i < history; i++) await publish('--force');
    const rows: Row[] = [
      { name: 'node -e 0 (Node start, the floor)', runs: [] },
      { name: 'publish --force (no dry run)', runs: [] },
      { name: 'publish (default dry run)', runs: [] },
      { name: 'publish --dry-run (check only)', runs: [] },
    ];
    const loadBefore = load();
    for (let round = 0; round < runs; round++) {
      rows[0]!.runs.push(await timed(['-e', '0'], cpuFile));
      rows[1]!.runs.push(await publish('--force'));
      rows[2]!.runs.push(await publish());
      rows[3]!.runs.push(await publish('--dry-run'));
    }
    const loadAfter = load();
    const failed = rows.some((r) => r.runs.some((x) => x.code !== 0));
    console.log(
      `patchcast CLI, whole processes: ${runs} runs per row, in turn; a small script (${history + 1 + runs * 3} releases in the room at the end)`,
    );
    console.log(`load average (1 / 5 / 15 min): before ${loadBefore}, after ${loadAfter}`);
    console.log(
      `${'what'.padEnd(36)}${'wall s, median (min–max)'.padEnd(28)}${'CPU s, median (min–max)'.padEnd(28)}peak MiB`,
    );
    for (const row of rows) {
      console.log(
        `${row.name.padEnd(36)}${fmt(stats(row.runs.map((r) => r.wallS))).padEnd(28)}${fmt(stats(row.runs.map((r) => r.cpuS))).padEnd(28)}${stats(row.runs.map((r) => r.rssMiB)).median.toFixed(0)}`,
      );
    }
    if (jsonOut) {
      await writeFile(jsonOut, JSON.stringify({ runs, history, loadBefore, loadAfter, rows }, null, 1));
    }
    return failed ? 1 : 0;
  } finally {
    await relay.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
