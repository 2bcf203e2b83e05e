/**
 * `npm run bench -- upload`: a texture's publish as the publisher does it — one bundle request (the
 * release and the texture's raw bytes: `protocol/bundle.ts`) — and as it does to a relay without
 * bundles: the release, the relay's `BLOB_MISSING`, the raw upload (`PUT /api/blobs/:sha256`), the
 * release again. Each timed from the first request to the final 201, for PNG, JPEG and WebP textures
 * of 64 KiB, 1 MB and 4 MB, beside the baseline of the same run: a bare HTTP PUT of the same bytes to
 * a plain Node server that reads the body and answers (no hash, no check, no disk). A second table times the relay's steps on the
 * same bytes one by one (hash, chunk hashes, image check, durable write), so a slow row says why.
 *
 * A third table sends each bundle at a publisher's pace (`--pace` MB/s, as over a real uplink:
 * `upload-paced.ts`) and times its last byte → 201 beside the bare server's last byte → answer: what
 * the relay still does after the body, with a PNG's check and the write done while it arrived.
 *
 * Options: --runs 5  --sizes 64k,1m,4m  --formats png,jpeg,webp  --no-steps  --pace 50 (0: none)
 * The relay runs in this process (as in the tests), on a temp data dir on the same disk as /tmp.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiPath, BUNDLE_CONTENT_TYPE, parseErrorBody } from '../protocol/index.ts';
import { splitBlobs } from '../publisher/relay-api.ts';
import { OPERATOR_HEADERS, TestRoom, releaseBundle, startTestServer } from '../signaling/testing/helpers.ts';
import type { BuiltRelease } from '../publisher/build.ts';
import { pacedBare, pacedBundle } from './upload-paced.ts';
import { relaySteps, STEP_NAMES } from './upload-steps.ts';
import { FORMATS, SIZES, texture, type Format } from './upload-textures.ts';

/** One publish, its requests timed (ms from the first request's start). */
interface Timed {
  readonly missing: number;
  readonly uploaded: number;
  readonly accepted: number;
  readonly cpuMs: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)]!;
}

const f1 = (ms: number) => ms.toFixed(1);

/** Publishes `built` in one bundle request, as the publisher does (ms to the 201). */
async function timedBundle(url: string, built: BuiltRelease): Promise<number> {
  const body = releaseBundle(built);
  const t0 = performance.now();
  const res = await fetch(url + ApiPath.releases(built.signed.release.room), {
    method: 'POST',
    headers: { 'content-type': BUNDLE_CONTENT_TYPE, ...OPERATOR_HEADERS },
    body,
  });
  const answer = await res.text();
  if (res.status !== 201) throw new Error(`bundle refused (${res.status}): ${answer}`);
  return performance.now() - t0;
}

/** Publishes `built` in the three requests of a relay without bundles, timing each. */
async function timedPublish(url: string, built: BuiltRelease): Promise<Timed> {
  const body = JSON.stringify({ signed: built.signed, blobs: splitBlobs(built.blobs).inline });
  const post = async () => {
    const res = await fetch(url + ApiPath.releases(built.signed.release.room), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...OPERATOR_HEADERS },
      body,
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let first = await post();
  const missingAt = performance.now() - t0;
  let uploadedAt = missingAt;
  if (first.status === 409) {
    const refusal = parseErrorBody(first.body);
    const missing = refusal.ok ? (refusal.value.error.missing ?? []) : [];
    for (const sha of missing) {
      const put = await fetch(url + ApiPath.blob(sha), {
        method: 'PUT',
        body: new Uint8Array(built.blobs.get(sha)!),
      });
      if (!put.ok) throw new Error(`upload refused (${put.status}): ${await put.text()}`);
      await put.arrayBuffer();
    }
    uploadedAt = performance.now() - t0;
    first = await post();
  }
  const acceptedAt = performance.now() - t0;
  if (first.status !== 201)
    throw new Error(`publish refused (${first.status}): ${JSON.stringify(first.body)}`);
  const cpu = process.cpuUsage(cpu0);
  return {
    missing: missingAt,
    uploaded: uploadedAt,
    accepted: acceptedAt,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** A plain Node server that reads a PUT's body and answers 201: the floor of any upload. */
async function bareServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const size = Buffer.concat(parts).length;
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ size }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}`, server };
}

async function barePut(url: string, bytes: Uint8Array): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/blob`, { method: 'PUT', body: new Uint8Array(bytes) });
  await res.arrayBuffer();
  return performance.now() - t0;
}

/** Runs the benchmark; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const runs = Number(get('runs') ?? 5);
  const sizes = (get('sizes') ?? '64k,1m,4m').split(',').filter((s) => s in SIZES);
  const formats = (get('formats') ?? 'png,jpeg,webp')
    .split(',')
    .filter((f): f is Format => FORMATS.includes(f as Format));
  const steps = !argv.includes('--no-steps');
  const pace = Number(get('pace') ?? 50);

  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const loadBefore = load();
  const relay = await startTestServer();
  const url = `http://127.0.0.1:${relay.httpPort}`;
  const bare = await bareServer();
  const room = await TestRoom.create(url, 'bench-upload');
  const stepDir = await mkdtemp(join(tmpdir(), 'patchcast-upload-steps-'));
  const rows: string[] = [];
  const stepRows: string[] = [];
  const pacedRows: string[] = [];
  try {
    for (const format of formats) {
      for (const size of sizes) {
        const publishes: Timed[] = [];
        const bundles: number[] = [];
        const bares: number[] = [];
        const pacedMs: number[] = [];
        const pacedBareMs: number[] = [];
        let bytes = 0;
        // One warm-up publish (the first decode loads libraries), then `runs` timed ones, each of a
        // new texture (a blob the relay holds would not be uploaded), each beside a bare PUT.
        for (let round = 0; round <= runs; round++) {
          /** The room's next release, its background `bytes`. */
          const build = (bytes: Uint8Array, version: string) =>
            room.build({
              slots: { background: { kind: 'texture', mime: `image/${format}`, bytes, version } },
            });
          const image = await texture(format, SIZES[size]!, round);
          bytes = image.length;
          const built = await build(image, `b${round}`);
          const bareMs = await barePut(bare.url, image);
          const timed = await timedPublish(url, built);
          room.latest = built.signed;
          // The same as one bundle, with another new texture of the same kind and size.
          const other = await build(await texture(format, SIZES[size]!, 1000 + round), `c${round}`);
          const bundleMs = await timedBundle(url, other);
          room.latest = other.signed;
          if (pace > 0) {
            // Sent at the publisher's pace, with a third new texture.
            const third = await build(await texture(format, SIZES[size]!, 2000 + round), `d${round}`);
            const ms = await pacedBundle(url, third, pace);
            room.latest = third.signed;
            const bareMs = await pacedBare(bare.url, image, pace);
            if (round > 0) {
              pacedMs.push(ms);
              pacedBareMs.push(bareMs);
            }
          }
          if (round === 0) continue;
          publishes.push(timed);
          bundles.push(bundleMs);
          bares.push(bareMs);
          if (steps && round === 1) {
            const s = await relaySteps(image, `image/${format}`, stepDir);
            stepRows.push(
              `| ${format} | ${(bytes / 1e6).toFixed(2)} MB | ${STEP_NAMES.map((n) => s[n]).join(' | ')} |`,
            );
          }
        }
        const accepted = median(publishes.map((p) => p.accepted));
        const bareMs = median(bares);
        const bundled = median(bundles);
        rows.push(
          `| ${format} | ${(bytes / 1e6).toFixed(2)} MB | ${runs} | **${f1(bundled)}** | ${f1(Math.max(...bundles))} | ` +
            `${(bundled / bareMs).toFixed(1)}× | ${f1(median(publishes.map((p) => p.missing)))} | ` +
            `${f1(median(publishes.map((p) => p.uploaded - p.missing)))} | ${f1(median(publishes.map((p) => p.accepted - p.uploaded)))} | ` +
            `${f1(accepted)} | ${f1(Math.max(...publishes.map((p) => p.accepted)))} | ${f1(median(publishes.map((p) => p.cpuMs)))} | ` +
            `${f1(bareMs)} | ${(accepted / bareMs).toFixed(1)}× |`,
        );
        if (pace > 0) {
          pacedRows.push(
            `| ${format} | ${(bytes / 1e6).toFixed(2)} MB | ${f1(bytes / 1e3 / pace)} | **${f1(median(pacedMs))}** | ` +
              `${f1(Math.max(...pacedMs))} | ${f1(median(pacedBareMs))} |`,
          );
        }
      }
    }
  } finally {
    await relay.dispose();
    await new Promise((resolve) => bare.server.close(resolve));
    await rm(stepDir, { recursive: true, force: true });
  }
  const out = process.stdout;
  out.write(
    `\nload average before: ${loadBefore}, after: ${load()}; ${runs} publishes per row (medians; a warm-up not counted)\n\n`,
  );
  out.write(
    '| format | size | runs | bundle → 201 (median) | max | bundle ÷ bare | three requests: release → BLOB_MISSING | raw upload (PUT → 201) | release again → 201 | publish → 201 (median) | max | CPU of the process (ms, median) | bare PUT, same bytes | three requests ÷ bare |\n',
  );
  out.write('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n');
  for (const r of rows) out.write(`${r}\n`);
  if (pace > 0) {
    out.write(
      `\nThe bundle sent at ${pace} MB/s, as over a real uplink (a new texture each run; medians): what is left after the last byte\n\n`,
    );
    out.write(
      '| format | size | ms to send | last byte → 201 (median) | max | bare server: last byte → answer |\n|---|---|---|---|---|---|\n',
    );
    for (const r of pacedRows) out.write(`${r}\n`);
  }
  if (steps) {
    out.write(
      `\nThe relay's steps on one texture of each row, one after another (wall ms / CPU ms of the process):\n\n`,
    );
    out.write(
      `| format | size | ${STEP_NAMES.join(' | ')} |\n|---|---|${STEP_NAMES.map(() => '---').join('|')}|\n`,
    );
    for (const r of stepRows) out.write(`${r}\n`);
  }
  return 0;
}
