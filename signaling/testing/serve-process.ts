/**
 * The real `patchcast serve` command as a child process, for tests that must kill, restart or read
 * the output of the relay as a user would run it: ephemeral ports, the test's data dir, the test
 * operator token, resolved once the banner says `relay on <url>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TEST_OPERATOR_TOKEN } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/patchcast.mjs', import.meta.url));
const BANNER = /relay on (http:\/\/\S+)/;

/** How a test wants the relay started. */
export interface ServeProcessOptions {
  readonly dataDir: string;
  /** Create the demo room (`serve` does by default; tests usually pass false → `--no-demo`). */
  readonly demo?: boolean;
  /** The static site to serve; default a directory that does not exist (API only). */
  readonly staticDir?: string;
  /** More `serve` flags. */
  readonly args?: readonly string[];
  /** How long the banner may take (default 20 s). */
  readonly startTimeoutMs?: number;
}

/** A running `patchcast serve`. */
export interface ServeProcess {
  readonly child: ChildProcess;
  /** The relay's HTTP origin, from its banner. */
  readonly url: string;
  /** Every stdout line so far (the banner included). */
  readonly stdout: string[];
  /** Every stderr line so far (the relay's log). */
  readonly stderr: string[];
  /** SIGTERM (a graceful shutdown) and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Starts `patchcast serve` on ephemeral ports; resolves when it prints its banner. */
export function spawnServe(options: ServeProcessOptions): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      ...(options.demo ? [] : ['--no-demo']),
      '--http-port',
      '0',
      '--tcp-port',
      '0',
      '--data-dir',
      options.dataDir,
      '--static-dir',
      options.staticDir ?? join(options.dataDir, 'no-site'),
      ...(options.args ?? []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATCHCAST_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN },
    },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exit = (signal: NodeJS.Signals) => () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay did not start:\n${[...stdout, ...stderr].join('\n')}`));
    }, options.startTimeoutMs ?? 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${code}:\n${[...stdout, ...stderr].join('\n')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout.push(line);
      const m = BANNER.exec(line);
      if (!m) return;
      clearTimeout(timer);
      resolve({ child, url: m[1]!, stdout, stderr, stop: exit('SIGTERM'), kill: exit('SIGKILL') });
    });
  });
}

/** SIGKILLs every relay a test started and left running (for `afterEach`/`afterAll`). */
export function killServeProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}
