/**
 * Starts the real relay (`patchcast serve`) for the admin browser tests, on free loopback ports with
 * a fresh data dir, and stops it (by its own pid) afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './admin-env.ts';

/** A running relay. */
export interface Relay {
  /** `http://127.0.0.1:<port>`: the API, `/ws`, and the built site at `/`. */
  readonly url: string;
  readonly dataDir: string;
  /** Everything the process printed, for failure messages. */
  readonly log: () => string;
  stop(): Promise<void>;
}

/** Starts `patchcast serve` and waits until `/healthz` answers. */
export async function startRelay(
  options: { dataDir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Relay> {
  const httpPort = await freePort();
  const tcpPort = await freePort();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'admin-relay-'));
  let output = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'bin/patchcast.mjs',
      'serve',
      '--host',
      '127.0.0.1',
      '--http-port',
      String(httpPort),
      '--tcp-port',
      String(tcpPort),
      '--data-dir',
      dataDir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
  );
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`relay exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`relay did not start within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dataDir,
    log: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
