/**
 * A full disk, for real: `patchcast serve` over a 1 MiB tmpfs (mounted in a mount namespace of its
 * own, so nothing outside the test sees it; needs root, as the test machines and CI have). The
 * admin's publish that no longer fits gets 507 `STORAGE_FULL`, never a bare 500, and the relay goes
 * on serving.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, generateSigningKey, utf8 } from '../../protocol/index.ts';
import { buildRelease } from '../../publisher/build.ts';
import { TEST_OPERATOR_TOKEN, bigPngBytes, postRelease } from '../testing/helpers.ts';

const bin = fileURLToPath(new URL('../../bin/patchcast.mjs', import.meta.url));
const children: ChildProcess[] = [];
let dir: string | null = null;
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
});

function serveOnTinyDisk(dataDir: string): Promise<string> {
  const script =
    'mount -t tmpfs -o size=1m tmpfs "$0" && exec "$1" "$2" serve --no-demo --http-port 0 --tcp-port 0 ' +
    '--data-dir "$0" --static-dir "$0"';
  const child = spawn('unshare', ['-m', 'sh', '-c', script, dataDir, process.execPath, bin], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATCHCAST_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN },
  });
  children.push(child);
  const log: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => log.push(l));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}: ${log.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /relay on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
}

describe('a full disk', () => {
  it.skipIf(process.getuid?.() !== 0)(
    'answers the publish that does not fit with STORAGE_FULL, and keeps serving',
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'patchcast-full-'));
      const url = await serveOnTinyDisk(dir);
      const key = await generateSigningKey();
      const first = await buildRelease({
        room: 'full',
        key,
        previous: null,
        slots: { logic: { kind: 'script', bytes: utf8('export {}'), version: '1' } },
      });
      expect((await postRelease(url, first, { publicKey: key.publicKey })).status).toBe(201);
      const big = await buildRelease({
        room: 'full',
        key,
        previous: first.signed.release,
        slots: {
          background: {
            kind: 'texture',
            mime: 'image/png',
            bytes: await bigPngBytes(1_500_000),
            version: '2',
          },
        },
      });
      const refused = await postRelease(url, big);
      expect(refused.status).toBe(507);
      expect(refused.body).toMatchObject({ error: { code: ErrorCode.STORAGE_FULL } });
      expect((await fetch(url + '/api/rooms')).status).toBe(200);
      expect((await fetch(url + '/healthz')).status).toBe(200);
    },
    60_000,
  );
});
