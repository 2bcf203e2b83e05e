/**
 * SIGKILL at any moment of a publish: the relay runs as its own process (`patchcast serve`), is
 * killed at spread-out moments while a release with a multi-megabyte texture is being published,
 * and restarted on the same data dir. Each time it must serve either the old or the new release,
 * complete (signature verifies, every blob there with the right hash), never a broken one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ApiPath,
  parseHistoryBody,
  parseSignedRelease,
  sha256Hex,
  utf8,
  verifyReleaseSignature,
  type SignedRelease,
} from '../protocol/index.ts';
import { TEST_OPERATOR_TOKEN, TestRoom, bigPngBytes } from './testing/helpers.ts';

const bin = fileURLToPath(new URL('../bin/patchcast.mjs', import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts `patchcast serve` on ephemeral ports; resolves with its URL. */
function serve(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--no-demo',
      '--http-port',
      '0',
      '--tcp-port',
      '0',
      '--data-dir',
      dataDir,
      '--static-dir',
      join(dataDir, 'no-site'),
    ],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, PATCHCAST_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN },
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 20_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /relay on (http:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.once('exit', () => reject(new Error('server exited')));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Fetches the latest release and checks it is whole: signature and every blob. */
async function wholeLatest(url: string, publicKey: string): Promise<SignedRelease> {
  const parsed = parseSignedRelease(await (await fetch(url + ApiPath.release('crash'))).json());
  if (!parsed.ok) throw new Error(parsed.message);
  expect(await verifyReleaseSignature(parsed.value, publicKey)).toBe(true);
  for (const slot of Object.values(parsed.value.release.slots)) {
    const res = await fetch(url + ApiPath.blob(slot.sha256));
    expect(res.status).toBe(200);
    expect(await sha256Hex(new Uint8Array(await res.arrayBuffer()))).toBe(slot.sha256);
  }
  return parsed.value;
}

describe('SIGKILL mid-publish', () => {
  it('serves the old or the new release, complete, after every kill', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'patchcast-crash-'));
    try {
      let { child, url } = await serve(dataDir);
      const room = await TestRoom.create(url, 'crash');
      // How long one publish takes here, to spread the kills over it.
      const probe = await room.build({
        slots: {
          background: {
            kind: 'texture',
            mime: 'image/png',
            bytes: await bigPngBytes(2 << 20),
            version: 'probe',
          },
        },
      });
      const t0 = performance.now();
      expect((await room.publish(probe)).status).toBe(201);
      const publishMs = performance.now() - t0;

      const rounds = 10;
      const outcomes: string[] = [];
      for (let i = 0; i < rounds; i++) {
        const before = room.latest!;
        const built = await room.build({
          slots: {
            background: {
              kind: 'texture',
              mime: 'image/png',
              bytes: await bigPngBytes((2 << 20) + i * 1000),
              version: `r${i}`,
            },
            logic: {
              kind: 'script',
              lang: 'js',
              bytes: utf8(`export function update(b){return b} // ${i}`),
              version: `r${i}`,
            },
          },
        });
        const delay = (publishMs * 1.2 * i) / (rounds - 1);
        const publishing = room.publish(built).catch(() => null);
        await new Promise((r) => setTimeout(r, delay));
        await killed(child);
        await publishing;

        ({ child, url } = await serve(dataDir));
        room.latest = null;
        const latest = await wholeLatest(url, room.key.publicKey);
        const seq = latest.release.seq;
        expect([before.release.seq, built.signed.release.seq]).toContain(seq);
        outcomes.push(seq === before.release.seq ? 'old' : 'new');
        room.latest = latest;
        // History holds no half release either.
        const history = parseHistoryBody(await (await fetch(url + ApiPath.releases('crash'))).json());
        expect(history.ok && history.value.releases[0]?.release.seq).toBe(seq);
        room.url = url;
      }
      // Both outcomes should occur over the spread of kill times.
      expect(outcomes).toContain('old');
      expect(outcomes).toContain('new');
      await killed(child);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
