/**
 * `npm run bench -- player`: small patches in real players. Three headless Chromium players (each
 * its own context: IndexedDB, client id, PeerJS peer) on the demo page, the real relay
 * (`patchcast serve`, a child process) on loopback. Each kind of patch is published `--runs` times;
 * per kind: publish request → `patchcast:applied` at every player, p50 / p95 / max over all players
 * and runs, and the longest frame any player drew while applying (a `requestAnimationFrame` probe
 * of the benchmark's own, from the publish to 100 ms after the last player applied).
 *
 * Two rows per kind, from the same run: the players with the swarm on (the demo page's default),
 * and as the baseline the same pages with `&p2p=off` (relay only). Below the table, where the time
 * goes: the median of each stage the player marks on its performance timeline
 * (`player/core/timeline.ts`: received → accepted → fetched → [decoded → uploaded | tried] →
 * handled → shown (the page's `patchcast:applied`) → committed → applied (acked)), measured from the
 * publish request.
 *
 * Runs itself inside a loopback-only network namespace when it can (root): WebRTC then has nothing
 * but `lo`. Needs the built site (`npm run build`) and Chromium (`CHROME_PATH`, default
 * /usr/bin/chromium).
 *
 * With `--probe`, each page also runs a worker with a WebSocket of its own (`player-probe.ts`): the
 * stage table gains `socket (worker)`, when the release reached that worker, and a third table says
 * how long the client's `received` came after it and how much of that the page's main thread spent
 * in long tasks (frames).
 *
 * Each mode's pages first take `--warmup` publishes of every kind (one of the 4 MB texture at most),
 * not counted: the first patches after the browser starts paid its start-up (SwiftShader's shader
 * routines, the scripts' code cache) — whichever mode ran first had its 64 KiB p95 ~100 ms worse
 * (docs/performance.md, eleventh round). Their figures are printed apart.
 *
 * Options: --runs 10  --big-runs 3  --warmup 2  --kinds texture64k,script,texture4mb
 *          --modes swarm,relay  --players 3  --probe  --json FILE
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import type { Browser, Page } from 'playwright-core';
import { utf8 } from '../protocol/bytes.ts';
import type { SlotInput } from '../protocol/assemble.ts';
import type { SigningKey } from '../protocol/crypto.ts';
import {
  readFrameProbe,
  startFrameProbe,
  waitForApplied,
  waitForStatus,
} from '../tests/browser/helpers/player.ts';
import { demoKey, publish, startRelayProcess, type RelayProcess } from '../tests/browser/helpers/relay.ts';
import {
  eventually,
  launchBrowser,
  openPlayers,
  randomPng,
  swarmInfo,
} from '../tests/browser/helpers/swarm.ts';
import {
  longTaskMsBetween,
  printProbe,
  readSocketProbe,
  startSocketProbe,
  type ProbeRow,
} from './player-probe.ts';

const KINDS = {
  texture64k: '64 KiB texture',
  script: 'logic script',
  texture4mb: '4 MB texture',
} as const;
type Kind = keyof typeof KINDS;
type Mode = 'swarm' | 'relay';
const MODE_LABEL: Record<Mode, string> = { swarm: 'swarm on', relay: 'relay only (p2p=off)' };

/** Stages in the order a release passes them (`player/core/timeline.ts`, and the page's own). */
const STAGES = [
  'socket (worker)',
  'received',
  'accepted',
  'fetched',
  'decoded',
  'uploaded',
  'tried',
  'handled',
  'shown',
  'committed',
  'applied',
];

interface Sample {
  readonly mode: Mode;
  readonly kind: Kind;
  readonly bytes: number;
  /** Publish request → relay's 201. */
  readonly acceptMs: number;
  /** Publish request → applied, per player that applied it. */
  readonly appliedMs: readonly number[];
  /** Players whose apply failed (a trial call over budget on a starved machine, say), with why. */
  readonly failed: readonly string[];
  /** Longest frame of any player while applying. */
  readonly longestFrameMs: number;
  /** Longest frame of any player in the half second before the publish (the machine's noise). */
  readonly idleFrameMs: number;
  /** Mean frame interval of the players in that half second (how busy the pages were). */
  readonly idleMeanMs: number;
  /** Per player: stage → ms since the publish request. */
  readonly stages: readonly Record<string, number>[];
  /** Per player, with `--probe`: ms of main-thread long tasks between the worker's socket and `received`. */
  readonly longTaskMs: readonly number[];
}

function parseArgs(argv: readonly string[]) {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const kinds = (get('kinds') ?? 'texture64k,script,texture4mb').split(',').filter(Boolean);
  for (const k of kinds)
    if (!(k in KINDS)) throw new Error(`unknown kind ${k} (${Object.keys(KINDS).join(', ')})`);
  const modes = (get('modes') ?? 'swarm,relay').split(',').filter(Boolean);
  for (const m of modes)
    if (m !== 'swarm' && m !== 'relay') throw new Error(`unknown mode ${m} (swarm, relay)`);
  return {
    runs: Number(get('runs') ?? 10),
    bigRuns: Number(get('big-runs') ?? 3),
    warmup: Number(get('warmup') ?? 2),
    kinds: kinds as Kind[],
    modes: modes as Mode[],
    players: Number(get('players') ?? 3),
    probe: argv.includes('--probe'),
    json: get('json'),
  };
}

/** Re-runs this benchmark in a fresh network namespace with only `lo` up, when allowed. */
function reexecIsolated(argv: readonly string[]): number | null {
  if (process.env['PATCHCAST_NETNS'] === '1' || process.platform !== 'linux') return null;
  if (spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status !== 0) return null;
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
      'player',
      ...argv,
    ],
    { stdio: 'inherit', env: { ...process.env, PATCHCAST_NETNS: '1' } },
  );
  return run.status ?? 1;
}

let counter = 0;
/** The quiet half second before each publish, in which the frame probe measures the pages. */
const IDLE_MS = 500;

/**
 * A random-pixel PNG of at most `bytes` (`randomPng` aims at a size and lands a little over it:
 * its rows' filter bytes and headers; a "64 KiB texture" of 65.9 KB was two chunks).
 */
async function pngAtMost(bytes: number): Promise<Uint8Array> {
  for (let aim = bytes; ; aim -= 512) {
    const png = await randomPng(aim);
    if (png.length <= bytes) return png;
  }
}

/** New content of `kind` (never published before: a blob the players hold would not be fetched). */
async function content(kind: Kind): Promise<SlotInput & { name: string }> {
  const version = `bench-${Date.now()}-${++counter}`;
  switch (kind) {
    case 'texture64k':
      return {
        name: 'background',
        kind: 'texture',
        mime: 'image/png',
        bytes: await pngAtMost(64 * 1024),
        version,
      };
    case 'texture4mb':
      return {
        name: 'background',
        kind: 'texture',
        mime: 'image/png',
        bytes: await randomPng(4_000_000),
        version,
      };
    case 'script': {
      // The built-in bounce, a little faster each time.
      const speed = 1 + (counter % 50) / 100;
      const source = `export function update(ball, world, dt) {
  let { x, y, vx, vy, radius } = ball;
  x += vx * dt * ${speed}; y += vy * dt * ${speed};
  if (x < radius) { x = radius; vx = Math.abs(vx); }
  if (x > world.width - radius) { x = world.width - radius; vx = -Math.abs(vx); }
  if (y < radius) { y = radius; vy = Math.abs(vy); }
  if (y > world.height - radius) { y = world.height - radius; vy = -Math.abs(vy); }
  return { x, y, vx, vy, radius };
}
`;
      return { name: 'logic', kind: 'script', bytes: utf8(source), version };
    }
  }
}

/** The page's `patchcast:<seq>:<stage>` marks for `seq`, as `Date.now()` times. */
async function stageTimes(page: Page, seq: number): Promise<Record<string, number>> {
  const raw: unknown = await page.evaluate((s) => {
    const prefix = `patchcast:${s}:`;
    return performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith(prefix))
      .map((m) => [m.name.slice(prefix.length), performance.timeOrigin + m.startTime]);
  }, seq);
  const out: Record<string, number> = {};
  if (!Array.isArray(raw)) return out;
  // The first of each: a release passed on by a peer arrives (and is checked) a second time.
  for (const entry of raw) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') continue;
    out[entry[0]] ??= entry[1];
  }
  return out;
}

async function publishOnce(
  relay: RelayProcess,
  key: SigningKey,
  pages: readonly Page[],
  mode: Mode,
  kind: Kind,
  probe: boolean,
): Promise<Sample> {
  const { name, ...slot } = await content(kind);
  await Promise.all(pages.map(startFrameProbe));
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const idle = await Promise.all(pages.map(readFrameProbe));
  await Promise.all(pages.map(startFrameProbe));
  const published = await publish(relay.url, 'demo', key, { [name]: slot });
  const events = await Promise.all(
    pages.map((p) => waitForApplied(p, published.seq, 30_000).catch(() => null)),
  );
  const applied = events.filter((a) => a?.detail.slots[name]?.status === 'applied').map((a) => a!);
  const failed = events
    .filter((a) => a?.detail.slots[name]?.status !== 'applied')
    .map((a) => (a ? (a.detail.slots[name]?.error ?? 'no outcome') : 'no applied event within 30 s'));
  await new Promise((r) => setTimeout(r, 100));
  const frames = await Promise.all(pages.map(readFrameProbe));
  const marks = await Promise.all(pages.map((p) => stageTimes(p, published.seq)));
  const longTaskMs: number[] = [];
  if (probe) {
    const readings = await Promise.all(pages.map((p) => readSocketProbe(p, published.seq)));
    readings.forEach((reading, i) => {
      const m = marks[i]!;
      if (reading.socketAt === undefined) return;
      m['socket (worker)'] = reading.socketAt;
      const received = m['received'];
      if (received !== undefined)
        longTaskMs.push(longTaskMsBetween(reading.longTasks, reading.socketAt, received));
    });
  }
  return {
    mode,
    kind,
    bytes: slot.bytes.length,
    acceptMs: published.acceptedAt - published.sentAt,
    appliedMs: applied.map((a) => a.at - published.sentAt),
    failed,
    longestFrameMs: Math.max(...frames.map((f) => f.longestMs)),
    idleFrameMs: Math.max(...idle.map((f) => f.longestMs)),
    idleMeanMs: idle.reduce((sum, f) => sum + IDLE_MS / Math.max(1, f.frames), 0) / idle.length,
    stages: marks.map((m) =>
      Object.fromEntries(Object.entries(m).map(([stage, at]) => [stage, at - published.sentAt])),
    ),
    longTaskMs,
  };
}

/** What one mode's pages measured, and their warm-up publishes (not counted). */
interface ModeRun {
  readonly samples: Sample[];
  readonly warmup: Sample[];
}

/** Opens the players of one mode, warms them up, publishes every kind round-robin, closes them. */
async function runMode(
  browser: Browser,
  relay: RelayProcess,
  key: SigningKey,
  mode: Mode,
  args: ReturnType<typeof parseArgs>,
): Promise<ModeRun> {
  const url = `${relay.url}/play/?room=demo&key=${key.publicKey}${mode === 'relay' ? '&p2p=off' : ''}`;
  const opened = await openPlayers(browser, url, args.players, {
    webrtc: mode === 'swarm',
    bypassCSP: args.probe,
  });
  const samples: Sample[] = [];
  const warmup: Sample[] = [];
  try {
    // tsx compiles this file keeping function names (`__name(fn, "loop")`), and the helpers' page
    // functions travel as source: the page needs the helper too.
    await Promise.all(opened.pages.map((p) => p.evaluate('globalThis.__name = (fn) => fn')));
    await Promise.all(opened.pages.map((p) => waitForStatus(p, (s) => s.seq >= 1, 30_000)));
    // The swarm on: every page's swarm started. The relay here has no egress limit, so it serves at
    // once and never defers: the pages open no PeerJS peer (`idle`) and would link to each other only
    // if it ever deferred (links on demand: docs/swarm.md). `open` counts too (a relay that defers).
    if (mode === 'swarm') {
      const ready = async () =>
        (await Promise.all(opened.pages.map(swarmInfo))).every(
          (s) => s.state === 'idle' || s.state === 'open',
        );
      await eventually(ready, 60_000, 'the swarm started on every page');
    }
    if (args.probe) {
      await Promise.all(
        opened.pages.map((p, i) => startSocketProbe(p, relay.url, `bench-probe-${mode}-${i}`)),
      );
    }
    await new Promise((r) => setTimeout(r, 1_000)); // past start-up (shader compiles, first upload)
    // Every kind round-robin, `runsOf(kind)` publishes each; a mark on stderr per publish.
    const publishRounds = async (runsOf: (kind: Kind) => number, into: Sample[], mark: string) => {
      const rounds = Math.max(0, ...args.kinds.map(runsOf));
      for (let round = 0; round < rounds; round++) {
        for (const kind of args.kinds) {
          if (round >= runsOf(kind)) continue;
          into.push(await publishOnce(relay, key, opened.pages, mode, kind, args.probe));
          process.stderr.write(mark);
        }
      }
    };
    await publishRounds(
      (kind) => (kind === 'texture4mb' ? Math.min(1, args.warmup) : args.warmup),
      warmup,
      ',',
    );
    await publishRounds((kind) => (kind === 'texture4mb' ? args.bigRuns : args.runs), samples, '.');
    const errors = opened.errors.flat();
    if (errors.length > 0) console.error(`\npage errors (${mode}): ${errors.slice(0, 5).join(' | ')}`);
  } finally {
    await Promise.all(opened.contexts.map((c) => c.close()));
  }
  return { samples, warmup };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const ms = (t: number): string =>
  !Number.isFinite(t) ? '—' : t >= 1000 ? `${(t / 1000).toFixed(2)} s` : `${Math.round(t)} ms`;

function print(
  samples: readonly Sample[],
  args: ReturnType<typeof parseArgs>,
  load: readonly number[],
): void {
  console.log(
    `\nPublish → applied at ${args.players} Chromium players (headless, SwiftShader), relay on loopback; ` +
      `load average ${load.map((l) => l.toFixed(1)).join(' / ')} (start / end)\n`,
  );
  console.log(
    '| patch | players | runs | publish → applied p50 | p95 | max | failed | relay accepted (median) | longest frame while applying (max, median) | idle before: frame interval (median of means), longest |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const kind of args.kinds) {
    for (const mode of args.modes) {
      const of = samples.filter((s) => s.kind === kind && s.mode === mode);
      if (of.length === 0) continue;
      const all = of.flatMap((s) => s.appliedMs);
      const frames = of.map((s) => s.longestFrameMs);
      console.log(
        `| ${KINDS[kind]} (${(of[0]!.bytes / 1024).toFixed(0)} KiB) | ${MODE_LABEL[mode]} | ${of.length} | ` +
          `${ms(percentile(all, 50))} | ${ms(percentile(all, 95))} | ${ms(Math.max(...all))} | ` +
          `${of.reduce((n, s) => n + s.failed.length, 0)} | ` +
          `${ms(
            percentile(
              of.map((s) => s.acceptMs),
              50,
            ),
          )} | ${ms(Math.max(...frames))}, ${ms(percentile(frames, 50))} | ` +
          `${ms(
            percentile(
              of.map((s) => s.idleMeanMs),
              50,
            ),
          )}, ${ms(Math.max(...of.map((s) => s.idleFrameMs)))} |`,
      );
    }
  }
  console.log(
    '\nWhere the time goes: median ms from the publish request to the end of each stage (all players, all runs)\n',
  );
  const stages = STAGES.filter((s) => args.probe || s !== 'socket (worker)');
  console.log(`| patch | players | ${stages.join(' | ')} |`);
  console.log(`|---|---|${stages.map(() => '---').join('|')}|`);
  for (const kind of args.kinds) {
    for (const mode of args.modes) {
      const of = samples.filter((s) => s.kind === kind && s.mode === mode);
      if (of.length === 0) continue;
      const cells = stages.map((stage) => {
        const values = of
          .flatMap((s) => s.stages.map((m) => m[stage]))
          .filter((v): v is number => v !== undefined);
        return values.length > 0 ? String(Math.round(percentile(values, 50))) : '—';
      });
      console.log(`| ${KINDS[kind]} | ${MODE_LABEL[mode]} | ${cells.join(' | ')} |`);
    }
  }
  if (args.probe) printProbe(probeRows(samples, args), percentile, ms);
}

/** `--probe`: how long each release waited for the page's main thread after a worker on it had it. */
function probeRows(samples: readonly Sample[], args: ReturnType<typeof parseArgs>): ProbeRow[] {
  return args.kinds.flatMap((kind) =>
    args.modes.flatMap((mode) => {
      const of = samples.filter((s) => s.kind === kind && s.mode === mode);
      const waits = of.flatMap((s) =>
        s.stages.flatMap((m) => {
          const [w, r] = [m['socket (worker)'], m['received']];
          return w !== undefined && r !== undefined ? [r - w] : [];
        }),
      );
      const label = `${KINDS[kind]} | ${MODE_LABEL[mode]}`;
      return of.length > 0 ? [{ label, waits, longTasks: of.flatMap((s) => s.longTaskMs) }] : [];
    }),
  );
}

/** One line per kind and mode: the warm-up publishes' publish → applied, median and max (not counted above). */
function printWarmup(warmup: readonly Sample[], args: ReturnType<typeof parseArgs>): void {
  if (warmup.length === 0) return;
  const rows: string[] = [];
  for (const kind of args.kinds) {
    for (const mode of args.modes) {
      const all = warmup.filter((s) => s.kind === kind && s.mode === mode).flatMap((s) => s.appliedMs);
      if (all.length > 0)
        rows.push(
          `${KINDS[kind]}, ${MODE_LABEL[mode]}: p50 ${ms(percentile(all, 50))}, max ${ms(Math.max(...all))}`,
        );
    }
  }
  console.log(`
Warm-up publishes, not counted above (publish → applied): ${rows.join('; ')}`);
}

/** Entry point for `bin/bench.mjs`. */
export async function main(argv: readonly string[]): Promise<number> {
  const isolated = reexecIsolated(argv);
  if (isolated !== null) return isolated;
  const args = parseArgs(argv);
  const loadStart = loadavg()[0]!;
  const relay = await startRelayProcess();
  const browser = await launchBrowser();
  const samples: Sample[] = [];
  const warmup: Sample[] = [];
  try {
    const key = await demoKey(relay.dataDir);
    for (const mode of args.modes) {
      const run = await runMode(browser, relay, key, mode, args);
      samples.push(...run.samples);
      warmup.push(...run.warmup);
    }
  } finally {
    await browser.close();
    await relay.stop();
  }
  print(samples, args, [loadStart, loadavg()[0]!]);
  printWarmup(warmup, args);
  const failures = samples.flatMap((s) =>
    s.failed.map((f) => `${KINDS[s.kind]}, ${MODE_LABEL[s.mode]}: ${f}`),
  );
  if (failures.length > 0) console.log(`\nFailed applies:\n${failures.map((f) => `- ${f}`).join('\n')}`);
  if (args.json) await writeFile(args.json, JSON.stringify(samples, null, 1));
  return 0;
}
