/**
 * Runs a `patchcast` command in-process, as tests do: the real `main` with its output captured and
 * the relay (and, unless told otherwise, the test operator token) in its environment.
 */
import { readFile } from 'node:fs/promises';
import { fromKeyFile, parseKeyFile, type SigningKey } from '../../protocol/index.ts';
import type { Io } from '../cli/io.ts';
import { main } from '../cli/main.ts';
import { TEST_OPERATOR_TOKEN } from './helpers.ts';

/** What a command printed and its exit code. */
export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** How to run it: the relay's URL, more environment, a clock. */
export interface CliRunOptions {
  readonly server: string;
  /** Added to (or overriding) `PATCHCAST_SERVER` and `PATCHCAST_OPERATOR_TOKEN`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Run without the operator token (as an anonymous publisher). */
  readonly anonymous?: boolean;
  readonly now?: () => Date;
}

/** Runs `patchcast <argv…>` against `options.server`. */
export async function runCli(options: CliRunOptions, argv: readonly string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: {
      PATCHCAST_SERVER: options.server,
      ...(options.anonymous ? {} : { PATCHCAST_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN }),
      ...options.env,
    },
    ...(options.now ? { now: options.now } : {}),
  };
  const code = await main([...argv], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Runs `patchcast <argv…>` and returns what it printed; throws with its stderr when it fails. */
export async function runCliOk(options: CliRunOptions, argv: readonly string[]): Promise<string> {
  const res = await runCli(options, argv);
  if (res.code !== 0) throw new Error(`patchcast ${argv.join(' ')}: ${res.code} ${res.err}`);
  return res.out;
}

/** A key file for `room` written by `patchcast keygen --out path`, and its signing key. */
export async function keygenFile(
  options: CliRunOptions,
  path: string,
  room: string,
): Promise<{ path: string; key: SigningKey }> {
  await runCliOk(options, ['keygen', '--out', path, '--room', room]);
  const parsed = parseKeyFile(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.ok) throw new Error(parsed.message);
  return { path, key: await fromKeyFile(parsed.value) };
}
