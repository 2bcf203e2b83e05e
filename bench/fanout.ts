/**
 * `npm run bench -- fanout`: how fast the relay gets a publish to N clients, against a bare `net`
 * server writing the same bytes to the same number of sockets.
 *
 *   clients   our framed protocol (`ours`: release announce, then chunked blob requests) and the
 *             seed protocol (`seed`: one `hot_update` frame with the base64 image)
 *   N         10, 100, 500, 1000, all connecting at once
 *   payload   a script (~4 KB), a 1 MB and a 5 MB texture
 *   variant   plain; `sloth`: one client, connected first, that never reads; `churn`: clients joining
 *             and leaving during the push
 *
 * The relay and the baselines run in this process; the readers run in a child process
 * (`fanout-readers.ts`). Times are from the moment the relay accepted the release (the publish's
 * own validation and storage is the `accept` column) until each client has the last byte.
 *
 * Options: --n 10,100 --payload script,1mb,5mb --proto ours,seed --variant plain,sloth,churn
 *          --pool 1,8 --active K --slice BYTES --window BYTES (relay tuning) --repeat R (median of R runs) --timeout 60000 --json FILE
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import * as v from 'valibot';
import {
  SeedType,
  SeedUpdateType,
  configBytes,
  encodeFrame,
  generateSigningKey,
  toBase64,
  utf8,
  type SigningKey,
  type SlotInput,
} from '../protocol/index.ts';
import { buildRelease, type BuiltRelease } from '../publisher/build.ts';
import { startServer, type RunningServer } from '../signaling/server.ts';
import { BareServer, type BaselineMode } from './fanout-baseline.ts';

type Proto = 'ours' | 'seed';
type Variant = 'plain' | 'sloth' | 'churn';
type PayloadName = 'script' | '1mb' | '5mb';

/** One line of the results. */
export interface Row {
  readonly who: string;
  readonly n: number;
  readonly payload: PayloadName;
  readonly variant: Variant | 'baseline';
  readonly connectMs: number | null;
  readonly acceptMs: number | null;
  /** The first client served: the fixed cost before any bytes flow. */
  readonly first: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly max: number | null;
  readonly delivered: number;
}

const now = () => performance.timeOrigin + performance.now();

// ---- the reader process ----------------------------------------------------------------------

const ReplySchema = v.variant('type', [
  v.object({ type: v.literal('up') }),
  v.object({ type: v.literal('connected'), ready: v.number(), failed: v.number(), ms: v.number() }),
  v.object({ type: v.literal('results'), done: v.array(v.number()), n: v.number() }),
  v.object({ type: v.literal('closed') }),
]);
type Reply = v.InferOutput<typeof ReplySchema>;

class Readers {
  private readonly child: ChildProcess;
  private waiting: ((r: Reply) => void)[] = [];

  constructor() {
    const file = fileURLToPath(new URL('./fanout-readers.ts', import.meta.url));
    this.child = fork(file, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (raw: unknown) => {
      const parsed = v.safeParse(ReplySchema, raw);
      if (parsed.success) for (const w of this.waiting.splice(0)) w(parsed.output);
    });
  }

  ask<T extends Reply['type']>(message: object, type: T): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve) => {
      const isWanted = (r: Reply): r is Extract<Reply, { type: T }> => r.type === type;
      const wait = (r: Reply) => {
        if (isWanted(r)) resolve(r);
        else this.waiting.push(wait);
      };
      this.waiting.push(wait);
      if (Object.keys(message).length > 0) this.child.send(message);
    });
  }

  tell(message: object): void {
    this.child.send(message);
  }

  async exit(): Promise<void> {
    this.child.send({ cmd: 'exit' });
    await new Promise((r) => this.child.once('exit', r));
  }
}

// ---- payloads --------------------------------------------------------------------------------

async function noisePng(bytes: number): Promise<Uint8Array> {
  const side = Math.ceil(Math.sqrt(bytes / 3));
  const raw = Buffer.alloc(side * side * 3);
  let x = 2463534242;
  for (let i = 0; i < raw.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    raw[i] = x & 0xff;
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width: side, height: side, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer(),
  );
}

function scriptOf(size: number, tag: string): Uint8Array {
  const line = `// ${tag} ${'-'.repeat(60)}\n`;
  return utf8(`export function update(b){return b}\n${line.repeat(Math.ceil(size / line.length))}`);
}

function pythonOf(size: number, tag: string): Uint8Array {
  const line = `# ${tag} ${'-'.repeat(60)}\n`;
  return utf8(
    `def update_ball_position(x, y, vx, vy, w, h):\n    return x + vx, y + vy, vx, vy\n${line.repeat(Math.ceil(size / line.length))}`,
  );
}

async function payloadSlots(name: PayloadName): Promise<Record<string, SlotInput>> {
  if (name === 'script') {
    return {
      logic: { kind: 'script', lang: 'js', bytes: scriptOf(4000, 'v2'), version: '2' },
      seed: { kind: 'script', lang: 'python', bytes: pythonOf(4000, 'v2'), version: '2' },
    };
  }
  const png = await noisePng(name === '1mb' ? 1_000_000 : 5_000_000);
  return { background: { kind: 'texture', mime: 'image/png', bytes: png, version: '2' } };
}

/** The bytes one seed client receives for the payload: what the bare baseline writes. */
function baselineBytes(slots: Record<string, SlotInput>): Uint8Array {
  const bg = slots['background'];
  if (bg) {
    return encodeFrame({
      type: SeedType.hotUpdate,
      update_type: SeedUpdateType.background,
      config: {
        version: '2',
        last_update: '',
        background_color: [30, 40, 50],
        background_image: toBase64(bg.bytes),
        enabled: true,
      },
      timestamp: 0,
    });
  }
  return encodeFrame({
    type: SeedType.hotUpdate,
    update_type: SeedUpdateType.script,
    config: {
      version: '2',
      last_update: '',
      content: new TextDecoder().decode(slots['seed']!.bytes),
      enabled: true,
    },
    timestamp: 0,
  });
}

// ---- one run ---------------------------------------------------------------------------------

function stats(doneAt: number[], t0: number): Pick<Row, 'first' | 'p50' | 'p95' | 'max'> {
  if (doneAt.length === 0) return { first: null, p50: null, p95: null, max: null };
  const ms = doneAt.map((t) => t - t0).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)]!;
  return { first: ms[0]!, p50: at(0.5), p95: at(0.95), max: ms.at(-1)! };
}

interface RunOptions {
  readonly proto: Proto;
  readonly n: number;
  readonly payload: PayloadName;
  readonly variant: Variant;
  readonly timeoutMs: number;
  /** Write slots of the relay's fan-out scheduler (default: the relay's own default). */
  readonly active?: number;
  /** Relay TCP write size and per-connection window (tuning experiments). */
  readonly sliceBytes?: number;
  readonly windowBytes?: number;
}

async function setupRoom(server: RunningServer, key: SigningKey): Promise<BuiltRelease> {
  const first = await buildRelease({
    room: 'bench',
    key,
    previous: null,
    version: '1',
    slots: {
      logic: { kind: 'script', lang: 'js', bytes: scriptOf(200, 'v1'), version: '1' },
      seed: { kind: 'script', lang: 'python', bytes: pythonOf(200, 'v1'), version: '1' },
      theme: { kind: 'config', bytes: configBytes({ background: '#1e2832' }), version: '1' },
    },
  });
  const res = await server.relay.publish({
    room: 'bench',
    candidate: first.signed,
    blobs: first.blobs,
    publicKey: key.publicKey,
    // The benchmark is the relay's operator: its first publish creates the room.
    mayCreate: true,
  });
  if (!res.ok) throw new Error(`setup publish refused: ${res.code} ${res.message}`);
  return first;
}

async function runRelay(readers: Readers, o: RunOptions, slots: Record<string, SlotInput>): Promise<Row> {
  const dataDir = await mkdtemp(join(tmpdir(), 'patchcast-bench-'));
  const server = await startServer({
    httpPort: 0,
    tcpPort: 0,
    dataDir,
    staticDir: null,
    log: () => {},
    hub: {
      seedRoom: 'bench',
      ...(o.active ? { scheduler: { maxActive: o.active, stallMs: 250 } } : {}),
      ...(o.windowBytes
        ? { outbox: { windowBytes: o.windowBytes, maxQueuedBytes: 64 * 1024 * 1024, dropAfterMs: 30_000 } }
        : {}),
    },
    ...(o.sliceBytes ? { tcpSliceBytes: o.sliceBytes } : {}),
  });
  try {
    const key = await generateSigningKey();
    const first = await setupRoom(server, key);
    const next = await buildRelease({
      room: 'bench',
      key,
      previous: first.signed.release,
      version: '2',
      slots,
    });
    const connected = await readers.ask(
      {
        cmd: 'connect',
        kind: o.proto,
        host: server.host,
        port: server.tcpPort,
        n: o.n,
        room: 'bench',
        seq: 1,
        held: Object.values(first.signed.release.slots).map((s) => s.sha256),
        sloth: o.variant === 'sloth',
        expectBytes: 0,
      },
      'connected',
    );
    let accepted = 0;
    const off = server.relay.onRelease(() => (accepted = now()));
    if (o.variant === 'churn') {
      readers.tell({
        cmd: 'churn',
        kind: o.proto,
        host: server.host,
        port: server.tcpPort,
        room: 'bench',
        seq: 1,
        count: Math.max(5, Math.round(o.n / 10)),
        durationMs: 3_000,
      });
    }
    const posted = now();
    const res = await fetch(`${server.url}/api/rooms/bench/releases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        signed: next.signed,
        blobs: Object.fromEntries([...next.blobs].map(([sha, b]) => [sha, toBase64(b)])),
      }),
    });
    if (res.status !== 201) throw new Error(`bench publish refused: ${await res.text()}`);
    off();
    const results = await readers.ask({ cmd: 'collect', timeoutMs: o.timeoutMs }, 'results');
    await readers.ask({ cmd: 'close' }, 'closed');
    return {
      who: o.proto,
      n: o.n,
      payload: o.payload,
      variant: o.variant,
      connectMs: connected.failed === 0 ? connected.ms : null,
      acceptMs: accepted - posted,
      ...stats(results.done, accepted),
      delivered: results.done.length,
    };
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function runBaseline(
  readers: Readers,
  n: number,
  payload: PayloadName,
  bytes: Uint8Array,
  mode: BaselineMode,
  timeoutMs: number,
): Promise<Row> {
  const bare = await BareServer.start();
  try {
    const connected = await readers.ask(
      {
        cmd: 'connect',
        kind: 'raw',
        host: '127.0.0.1',
        port: bare.port,
        n,
        room: 'x',
        seq: 0,
        held: [],
        sloth: false,
        expectBytes: bytes.length,
      },
      'connected',
    );
    await bare.waitFor(n);
    const t0 = now();
    const pushed = bare.push(bytes, mode);
    const results = await readers.ask({ cmd: 'collect', timeoutMs }, 'results');
    await pushed.catch(() => {});
    await readers.ask({ cmd: 'close' }, 'closed');
    return {
      who: mode.kind === 'all' ? 'bare: all at once' : `bare: ${mode.size} at a time`,
      n,
      payload,
      variant: 'baseline',
      connectMs: connected.failed === 0 ? connected.ms : null,
      acceptMs: null,
      ...stats(results.done, t0),
      delivered: results.done.length,
    };
  } finally {
    await bare.close();
  }
}

// ---- report ----------------------------------------------------------------------------------

const f = (ms: number | null) =>
  ms === null ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;

/** The results as a Markdown table, with our "all" time as a ratio of the better baseline. */
export function table(rows: readonly Row[]): string {
  const best = new Map<string, number>();
  for (const r of rows) {
    if (r.variant !== 'baseline' || r.max === null || r.delivered < r.n) continue;
    const k = `${r.n}:${r.payload}`;
    best.set(k, Math.min(best.get(k) ?? Infinity, r.max));
  }
  const out = [
    '| clients | N | payload | variant | connect all | accept | p50 | p95 | all | delivered | all ÷ best bare |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const b = best.get(`${r.n}:${r.payload}`);
    const ratio =
      r.variant === 'baseline' || r.max === null || b === undefined ? '' : `${(r.max / b).toFixed(2)}×`;
    out.push(
      `| ${r.who} | ${r.n} | ${r.payload} | ${r.variant} | ${f(r.connectMs)} | ${f(r.acceptMs)} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.max)} | ${r.delivered}/${r.n} | ${ratio} |`,
    );
  }
  return out.join('\n');
}

function listFlag<T extends string>(argv: readonly string[], name: string, all: readonly T[]): T[] {
  const at = argv.indexOf(`--${name}`);
  if (at < 0) return [...all];
  const wanted = (argv[at + 1] ?? '').split(',');
  return all.filter((x) => wanted.includes(x));
}

/**
 * Runs a measurement `times` times and keeps the run with the median time to the last client (runs
 * that did not deliver to everyone count as slowest): on a shared machine single runs vary a lot.
 */
async function median(times: number, run: () => Promise<Row>): Promise<Row> {
  const rows: Row[] = [];
  for (let i = 0; i < times; i++) rows.push(await run());
  const key = (r: Row) => (r.delivered < r.n || r.max === null ? Infinity : r.max);
  rows.sort((a, b) => key(a) - key(b));
  return rows[Math.floor((rows.length - 1) / 2)]!;
}

/** Runs the benchmark; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const ns = listFlag(argv, 'n', ['10', '100', '500', '1000'] as const).map(Number);
  const payloads = listFlag(argv, 'payload', ['script', '1mb', '5mb'] as const);
  const protos = listFlag(argv, 'proto', ['ours', 'seed'] as const);
  const variants = listFlag(argv, 'variant', ['plain', 'sloth', 'churn'] as const);
  const poolAt = argv.indexOf('--pool');
  const pools = (poolAt >= 0 ? (argv[poolAt + 1] ?? '') : '1,8')
    .split(',')
    .map(Number)
    .filter((x) => x > 0);
  const timeoutAt = argv.indexOf('--timeout');
  const timeoutMs = timeoutAt >= 0 ? Number(argv[timeoutAt + 1]) : 60_000;
  const jsonAt = argv.indexOf('--json');
  const activeAt = argv.indexOf('--active');
  const active = activeAt >= 0 ? Number(argv[activeAt + 1]) : undefined;
  const num = (name: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? Number(argv[at + 1]) : undefined;
  };
  const repeat = Math.max(1, num('repeat') ?? 1);
  const slice = num('slice');
  const window = num('window');
  const tuning = {
    ...(active ? { active } : {}),
    ...(slice ? { sliceBytes: slice } : {}),
    ...(window ? { windowBytes: window } : {}),
  };

  const readers = new Readers();
  await readers.ask({}, 'up');
  const rows: Row[] = [];
  const log = (r: Row) => {
    rows.push(r);
    process.stderr.write(
      `${r.who.padEnd(20)} N=${String(r.n).padEnd(5)} ${r.payload.padEnd(6)} ${r.variant.padEnd(8)} first ${f(r.first)}, p50 ${f(r.p50)}, p95 ${f(r.p95)}, all ${f(r.max)}, delivered ${r.delivered}/${r.n}\n`,
    );
  };
  try {
    for (const payload of payloads) {
      const slots = await payloadSlots(payload);
      const bytes = baselineBytes(slots);
      for (const n of ns) {
        log(await median(repeat, () => runBaseline(readers, n, payload, bytes, { kind: 'all' }, timeoutMs)));
        for (const size of pools) {
          log(
            await median(repeat, () =>
              runBaseline(readers, n, payload, bytes, { kind: 'pool', size }, timeoutMs),
            ),
          );
        }
        for (const proto of protos) {
          for (const variant of variants) {
            log(
              await median(repeat, () =>
                runRelay(readers, { proto, n, payload, variant, timeoutMs, ...tuning }, slots),
              ),
            );
          }
        }
      }
    }
  } finally {
    await readers.exit();
  }
  const md = table(rows);
  process.stdout.write(`${md}\n`);
  if (jsonAt >= 0) await writeFile(argv[jsonAt + 1]!, JSON.stringify(rows, null, 2));
  return rows.every((r) => r.delivered === r.n) ? 0 : 1;
}
