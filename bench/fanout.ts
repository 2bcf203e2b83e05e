/**
 * `npm run bench -- fanout`: how fast the relay gets a publish to N clients, beside a bare `net`
 * server writing the same payload to the same number of sockets, in the same round.
 *
 *   clients   our framed protocol (`ours`: release announce, then the blob's chunks as binary frames;
 *             `--json-chunks` for the base64-in-JSON chunks) and the seed protocol (`seed`: one
 *             `hot_update` frame with the base64 image)
 *   N         10, 100, 500, 1000, all connecting at once
 *   payload   a script (~4 KB), a 1 MB and a 5 MB texture
 *   variant   plain; `sloth`: one client, connected first, that never reads; `churn`: clients joining
 *             and leaving during the push
 *
 * Each round measures every bare baseline and every relay configuration once, back to back, so each
 * relay figure has baselines from minutes around it; `--rounds R` repeats (default 3). The relay and
 * the bare servers run in this process, the readers in a child process (`fanout-readers.ts`).
 * Columns: `upload` — the first publish request until the one that was accepted (the relay's
 * BLOB_MISSING answer and the raw uploads, as the publisher does it); `accept` — that request until
 * the release was verified, durable and announced; `fan-out` — accepted until each client had the
 * last byte; `publish → all` — the first request until the last byte at the last client: what a user
 * sees. `--density` runs the 10,000-connection test instead (`fanout-density.ts`).
 *
 * Options: --n 10,100 --payload script,1mb,5mb --proto ours,seed --variant plain,sloth,churn
 *          --pool 1,8 --rounds R --json-chunks --active K[,K…] --slice BYTES --window BYTES --timeout MS
 *          --json FILE
 */
import { writeFile } from 'node:fs/promises';
import { baselineBytes, payloadSlots, type PayloadName, type Proto } from './fanout-payloads.ts';
import { summary, table } from './fanout-report.ts';
import { Readers, runBaseline, runRelay, type Row, type Variant } from './fanout-runs.ts';

function listFlag<T extends string>(argv: readonly string[], name: string, all: readonly T[]): T[] {
  const at = argv.indexOf(`--${name}`);
  if (at < 0) return [...all];
  const wanted = (argv[at + 1] ?? '').split(',');
  return all.filter((x) => wanted.includes(x));
}

const f = (ms: number | null) =>
  ms === null ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;

/** Runs the benchmark; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--density')) {
    const { density } = await import('./fanout-density.ts');
    return density(argv);
  }
  const num = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? Number(argv[at + 1]) : undefined;
  };
  const nAt = argv.indexOf('--n');
  const ns = (nAt >= 0 ? (argv[nAt + 1] ?? '') : '10,100,500,1000')
    .split(',')
    .map(Number)
    .filter((x) => Number.isInteger(x) && x > 0);
  const payloads = listFlag(argv, 'payload', ['script', '1mb', '5mb'] as const);
  const protos = listFlag(argv, 'proto', ['ours', 'seed'] as const);
  const variants = listFlag(argv, 'variant', ['plain', 'sloth', 'churn'] as const);
  const poolAt = argv.indexOf('--pool');
  const pools = (poolAt >= 0 ? (argv[poolAt + 1] ?? '') : '1,8')
    .split(',')
    .map(Number)
    .filter((x) => x > 0);
  const timeoutMs = num('timeout') ?? 60_000;
  const rounds = Math.max(1, num('rounds') ?? 3);
  const binary = !argv.includes('--json-chunks');
  // `--active 1,4`: one relay run per slot count, each in every round (labelled when more than one).
  const activeAt = argv.indexOf('--active');
  const actives: (number | undefined)[] =
    activeAt >= 0
      ? (argv[activeAt + 1] ?? '')
          .split(',')
          .map(Number)
          .filter((k) => Number.isInteger(k) && k > 0)
      : [undefined];
  const slice = num('slice');
  const window = num('window');
  const tuning = {
    ...(slice ? { sliceBytes: slice } : {}),
    ...(window ? { windowBytes: window } : {}),
  };
  const jsonAt = argv.indexOf('--json');

  const readers = new Readers();
  await readers.ask({}, 'up');
  const rows: Row[] = [];
  const log = (r: Row) => {
    rows.push(r);
    process.stderr.write(
      `#${r.round} ${r.who.padEnd(22)} N=${String(r.n).padEnd(5)} ${r.payload.padEnd(6)} ${r.variant.padEnd(8)} accept ${f(r.acceptMs)}, p50 ${f(r.p50)}, all ${f(r.max)}, publish → all ${f(r.userMs)}, delivered ${r.delivered}/${r.n}, cpu server ${f(r.serverCpuMs)} (event loop ${f(r.serverLoopMs)}, system ${f(r.serverSysMs)}; by thread: ${r.serverThreads}) readers ${f(r.readerCpuMs)} (system ${f(r.readerSysMs)}, ${r.readerReads} reads of ${Math.round(r.readerReadBytes / Math.max(1, r.readerReads))} B); last announced ${f(r.announcedAll)}, last first byte ${f(r.firstByteAll)}\n`,
    );
  };
  try {
    for (const payload of payloads) {
      const slots = await payloadSlots(payload);
      for (const n of ns) {
        for (let round = 1; round <= rounds; round++) {
          for (const proto of protos) {
            const bytes = baselineBytes(slots, proto);
            const base = { proto, n, payload: payload as PayloadName, round, timeoutMs };
            log(await runBaseline(readers, { ...base, mode: { kind: 'all' } }, bytes));
            for (const size of pools)
              log(await runBaseline(readers, { ...base, mode: { kind: 'pool', size } }, bytes));
          }
          for (const proto of protos as Proto[]) {
            for (const variant of variants as Variant[]) {
              for (const active of actives) {
                const run = {
                  proto,
                  n,
                  payload,
                  variant,
                  round,
                  timeoutMs,
                  binary,
                  ...tuning,
                  ...(active ? { active, labelActive: actives.length > 1 } : {}),
                };
                log(await runRelay(readers, run, slots));
              }
            }
          }
        }
      }
    }
  } finally {
    await readers.exit();
  }
  process.stdout.write(`${table(rows)}\n\n${summary(rows)}\n`);
  if (jsonAt >= 0) await writeFile(argv[jsonAt + 1]!, JSON.stringify(rows, null, 2));
  return rows.every((r) => r.delivered === r.n) ? 0 : 1;
}
