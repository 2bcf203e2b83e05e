/**
 * `patchcast serve` on a port another process holds: the real command exits at once with status 1
 * and one line that names the port and the flag to change it, for the HTTP port and the TCP port.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/patchcast.mjs', import.meta.url));
let dataDir: string;
let holder: Server;
let taken: number;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'patchcast-ports-'));
  holder = createServer();
  taken = await new Promise<number>((resolve) =>
    holder.listen(0, '127.0.0.1', () => {
      const address = holder.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    }),
  );
});
afterEach(async () => {
  await new Promise((r) => holder.close(r));
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `serve`; kills it if it is still running after `limitMs` (which fails the test). */
function serve(
  args: string[],
  limitMs = 10_000,
): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--data-dir', dataDir, '--static-dir', dataDir, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: Date.now() - started });
    }),
  );
}

describe('serve on a taken port', () => {
  it('refuses a timeout of 0 as a usage error', async () => {
    const result = await serve(['--header-timeout', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--header-timeout and --body-timeout take a number of milliseconds above 0',
    );
  });

  it('exits with status 1 and one line when the HTTP port is taken', async () => {
    // With the timeout flags too: they parse (a usage error would exit with 2 before any listen).
    const result = await serve([
      '--http-port',
      String(taken),
      '--tcp-port',
      '0',
      '--header-timeout',
      '5000',
      '--body-timeout',
      '60000',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `serve: cannot listen on 127.0.0.1:${taken} for HTTP (EADDRINUSE): the port is taken (another relay?); choose another with --http-port\n`,
    );
  });

  it('exits with status 1 and one line when the TCP port is taken', async () => {
    const result = await serve(['--http-port', '0', '--tcp-port', String(taken)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `serve: cannot listen on 127.0.0.1:${taken} for TCP (EADDRINUSE): the port is taken (another relay?); choose another with --tcp-port\n`,
    );
  });
});
