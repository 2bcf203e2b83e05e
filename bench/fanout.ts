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
 * Runs are paired (`fanout-plan.ts`): a warm-up round of everything (reported, never in a ratio),
 * then rounds of bare block → relay run → bare block → relay run → bare block per protocol, each
 * relay run against the mean of the bare runs just before and after it; the relay runs' order
 * rotates by round. `--bare auto` (default) lets the warm-up pick each protocol's fastest bare mode
 * (all at once, or K at a time) for the blocks; `--bare each` runs every mode in every block.
 * Rounds run until `--rounds R` (default 8) or until the next would end past `--budget S` seconds
 * (default 170). Before each timed push both processes collect their garbage; `--pin` pins this
 * process (relay, bare servers) to CPU 0 and the readers to CPU 1. The relay and the bare servers run
 * in this process, the readers in a child process (`fanout-readers.ts`).
 * Columns: `upload` — the first publish request until the one that was accepted (the relay's
 * BLOB_MISSING answer and the raw uploads, as the publisher does it); `accept` — that request until
 * the release was verified, durable and announced; `fan-out` — accepted until each client had the
 * last byte; `publish → all` — the first request until the last byte at the last client: what a user
 * sees. `--density` runs the 10,000-connection test instead (`fanout-density.ts`).
 *
 * Options: --n 10,100 --payload script,1mb,5mb --proto ours,seed --variant plain,sloth,churn
 *          --pool 1,8 --rounds R --budget S --bare auto|each --pin --json-chunks --active K[,K…]
 *          --relay cold,warm --slice BYTES --window BYTES --timeout MS --json FILE
 * `--relay warm` adds runs through a relay kept across runs (as one in service: its code stays
 * compiled), labelled `warm relay`, beside the cold ones (a relay started for each run, the default).
 */
import { writeFile } from 'node:fs/promises';
import { baselineBytes, payloadSlots, type PayloadName, type Proto } from './fanout-payloads.ts';
import type { BaselineMode } from './fanout-baseline.ts';
import { load, pinApart } from './fanout-machine.ts';
import { roundSteps, warmupSteps, type RelayConfig, type Step } from './fanout-plan.ts';
import { roundsTable, summary, table } from './fanout-report.ts';
import { closeWarmRelays } from './fanout-relays.ts';
import { BareProcess, Readers, runBaseline, runRelay, type Row } from './fanout-runs.ts';

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
  const rounds = Math.max(1, num('rounds') ?? 8);
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

  const budgetMs = (num('budget') ?? 170) * 1000;
  const eachMode = argv.includes('--bare') && argv[argv.indexOf('--bare') + 1] === 'each';
  const modes: BaselineMode[] = [{ kind: 'all' }, ...pools.map((size) => ({ kind: 'pool', size }) as const)];
  // `--relay cold,warm`: a relay started for each run (cold, the default) and/or one kept across runs.
  const relays = listFlag(argv, 'relay', ['cold', 'warm'] as const);
  const temps = argv.includes('--relay') ? relays : (['cold'] as const);
  const configs: RelayConfig[] = protos.flatMap((proto) =>
    variants.flatMap((variant) =>
      actives.flatMap((active) =>
        temps.map((temp) => ({
          proto,
          variant,
          ...(active ? { active } : {}),
          ...(temp === 'warm' ? { warm: true } : {}),
        })),
      ),
    ),
  );

  const readers = new Readers();
  // The bare servers run in a process of their own (fanout-bare.ts), the relay in this one.
  const bareProcess = new BareProcess();
  await Promise.all([readers.ask({}, 'up'), bareProcess.ask({}, 'up')]);
  let pinned = 'not pinned: the servers and the readers share every CPU';
  if (argv.includes('--pin')) {
    const ok =
      readers.pid !== undefined &&
      bareProcess.pid !== undefined &&
      pinApart(readers.pid, undefined, [bareProcess.pid]);
    pinned = ok
      ? 'pinned: the servers (relay, and bare in their own process) on CPU 0, readers on CPU 1'
      : 'pinning failed: not pinned';
  }
  const loadBefore = load();
  const rows: Row[] = [];
  const log = (r: Row) => {
    rows.push(r);
    process.stderr.write(
      `#${r.round} ${r.who.padEnd(22)} N=${String(r.n).padEnd(5)} ${r.payload.padEnd(6)} ${r.variant.padEnd(8)} accept ${f(r.acceptMs)}, p50 ${f(r.p50)}, all ${f(r.max)}, publish → all ${f(r.userMs)}, delivered ${r.delivered}/${r.n}, cpu server ${f(r.serverCpuMs)} (event loop ${f(r.serverLoopMs)}, system ${f(r.serverSysMs)}; by thread: ${r.serverThreads}) readers ${f(r.readerCpuMs)} (system ${f(r.readerSysMs)}, ${r.readerReads} reads of ${Math.round(r.readerReadBytes / Math.max(1, r.readerReads))} B); last announced ${f(r.announcedAll)}, last first byte ${f(r.firstByteAll)}${r.revocations === null ? '' : `; slots taken back ${r.revocations}`}\n`,
    );
  };
  const started = Date.now();
  let roundsRun = 0;
  try {
    for (const payload of payloads) {
      const slots = await payloadSlots(payload);
      for (const n of ns) {
        const step = async (s: Step, round: number) => {
          if (s.kind === 'bare') {
            const base = { proto: s.proto, n, payload: payload as PayloadName, round, timeoutMs };
            log(
              await runBaseline(
                readers,
                bareProcess,
                { ...base, mode: s.mode },
                baselineBytes(slots, s.proto),
              ),
            );
            return;
          }
          const c = s.config;
          log(
            await runRelay(
              readers,
              {
                ...c,
                n,
                payload,
                round,
                timeoutMs,
                binary,
                ...tuning,
                ...(c.active ? { labelActive: actives.length > 1 } : {}),
              },
              slots,
            ),
          );
        };
        const cellStart = Date.now();
        for (const s of warmupSteps(protos, modes, configs)) await step(s, 0);
        // The blocks' bare modes: every one, or per protocol the one fastest in the warm-up.
        const blockModes = (proto: Proto): BaselineMode[] => {
          if (eachMode) return modes;
          const bare = rows.filter(
            (r) =>
              r.round === 0 &&
              r.variant === 'baseline' &&
              r.proto === proto &&
              r.n === n &&
              r.payload === payload,
          );
          const best = bare.reduce<Row | null>(
            (b, r) => (r.max !== null && (b?.max == null || r.max < b.max) ? r : b),
            null,
          );
          const at = best ? bare.indexOf(best) : 0;
          return [modes[at] ?? modes[0]!];
        };
        let longest = 0;
        for (let round = 1; round <= rounds; round++) {
          const roundStart = Date.now();
          // Stop before a round that would end past the budget (always at least one).
          if (round > 1 && roundStart + longest - started > budgetMs) break;
          for (const proto of protos)
            for (const s of roundSteps(round, [proto], blockModes(proto), configs)) await step(s, round);
          longest = Math.max(longest, Date.now() - roundStart);
          roundsRun = Math.max(roundsRun, round);
        }
        process.stderr.write(`N=${n} ${payload}: ${((Date.now() - cellStart) / 1000).toFixed(0)} s\n`);
      }
    }
  } finally {
    await closeWarmRelays();
    await Promise.all([readers.exit(), bareProcess.exit()]);
  }
  const header = `${roundsRun} measured round(s) after a warm-up, ${((Date.now() - started) / 1000).toFixed(0)} s; ${pinned}; load average ${loadBefore} before, ${load()} after (1 / 5 / 15 min)`;
  process.stdout.write(
    `${header}\n\n${table(rows)}\n\nFan-out ÷ paired bare, by round (each relay run ÷ the mean of the bare runs just before and after it):\n\n${roundsTable(rows)}\n\n${summary(rows)}\n`,
  );
  if (jsonAt >= 0) await writeFile(argv[jsonAt + 1]!, JSON.stringify(rows, null, 2));
  return rows.every((r) => r.delivered === r.n) ? 0 : 1;
}
